package io.inmesh.policy.model;

import java.util.List;

/**
 * Istio VirtualService (the HTTP part inmesh enforces).
 *
 * @param hosts as written (or inferred from destinations when the document omitted them)
 */
public record VirtualService(ResourceRef ref, String file, List<String> hosts, List<HttpRoute> http)
    implements PolicyResource {}
