package io.inmesh.policy.compile;

import java.util.List;
import java.util.Map;

/**
 * A registered instance of a service: one JVM's address, the ports it listens on (the first is
 * its primary port) and its labels.
 */
public record Endpoint(String address, List<Integer> ports, Map<String, String> labels, String agent) {

  public boolean hasLabels(Map<String, String> selector) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
