package io.inmesh.policy.compile;

import java.util.List;
import java.util.Map;

/**
 * A registered instance of a service: one JVM's address, the ports it listens on (the first is
 * its primary port) and its labels.
 *
 * @param identity the SPIFFE ID the registering agent proved to the control plane (its client
 *     certificate or join token), or null for an agent without one. Clients originate mTLS to
 *     endpoints that have one (Istio's auto mTLS) and check the server's certificate against the
 *     identities of the destination's endpoints (secure naming).
 */
public record Endpoint(String address, List<Integer> ports, Map<String, String> labels, String agent, String identity) {

  /** An endpoint without a proven identity. */
  public Endpoint(String address, List<Integer> ports, Map<String, String> labels, String agent) {
    this(address, ports, labels, agent, null);
  }

  public boolean hasLabels(Map<String, String> selector) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
