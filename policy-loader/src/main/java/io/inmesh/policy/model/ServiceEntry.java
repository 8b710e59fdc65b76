package io.inmesh.policy.model;

import java.util.List;
import java.util.Map;

/**
 * Istio ServiceEntry: adds hosts (usually outside the mesh) to the registry so that routes,
 * timeouts, retries and circuit breaking apply to calls to them.
 *
 * @param workloadSelector null when not given (not enforced: inmesh has no WorkloadEntry registry)
 */
public record ServiceEntry(
    ResourceRef ref,
    String file,
    List<String> hosts,
    List<String> addresses,
    List<Port> ports,
    Location location,
    Resolution resolution,
    List<Endpoint> endpoints,
    List<String> exportTo,
    Map<String, String> workloadSelector,
    List<String> subjectAltNames)
    implements PolicyResource {

  public enum Location {
    MESH_EXTERNAL,
    MESH_INTERNAL
  }

  public enum Resolution {
    NONE,
    STATIC,
    DNS,
    DNS_ROUND_ROBIN,
    DYNAMIC_DNS
  }

  /** @param targetPort null when not given */
  public record Port(int number, String protocol, String name, Integer targetPort) {}

  /**
   * A WorkloadEntry: an IP (STATIC) or a host name (DNS).
   *
   * @param ports port name → endpoint port; empty: the service port (or its targetPort)
   * @param weight null when not given
   */
  public record Endpoint(
      String address, Map<String, Integer> ports, Map<String, String> labels, String network, String locality, Integer weight) {}
}
