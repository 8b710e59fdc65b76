package io.inmesh.policy.model;

import java.util.Map;

/**
 * Istio PeerAuthentication.
 *
 * @param selector null: namespace-wide (or mesh-wide in the root namespace)
 * @param mode UNSET when {@code mtls} or its mode is not given (inherit)
 * @param portLevelMtls workload port → mode (only with a selector)
 */
public record PeerAuthentication(
    ResourceRef ref, String file, Map<String, String> selector, MtlsMode mode, Map<Integer, MtlsMode> portLevelMtls)
    implements PolicyResource {}
