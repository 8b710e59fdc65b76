package io.inmesh.policy.model;

import java.util.List;

/**
 * Istio VirtualService (the HTTP part inmesh routes; tcp and tls are reported as not enforced).
 *
 * @param hosts as written (or inferred from destinations when the document omitted them)
 * @param hostsInferred true when {@code spec.hosts} was missing: such a VirtualService may be the
 *     delegate of another one, in which case it claims no host of its own
 * @param exportTo empty: exported to every namespace
 * @param gateways empty: {@code mesh} (all sidecars, i.e. every inmesh agent)
 */
public record VirtualService(
    ResourceRef ref,
    String file,
    List<String> hosts,
    List<HttpRoute> http,
    List<String> exportTo,
    List<String> gateways,
    boolean hostsInferred)
    implements PolicyResource {

  public VirtualService(ResourceRef ref, String file, List<String> hosts, List<HttpRoute> http) {
    this(ref, file, hosts, http, List.of(), List.of(), false);
  }

  /** Whether the rules apply to sidecars (inmesh agents): no gateways, or {@code mesh} among them. */
  public boolean appliesToMesh() {
    return gateways.isEmpty() || gateways.contains("mesh");
  }
}
