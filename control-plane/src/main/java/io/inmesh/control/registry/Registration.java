package io.inmesh.control.registry;

import java.util.List;
import java.util.Map;

/**
 * What an agent says about itself when it registers (already validated).
 *
 * @param address null for a client-only agent (it calls services but serves none)
 * @param ports the ports it listens on, primary first; empty for a client-only agent
 * @param agentVersion the inmesh version the agent runs
 */
public record Registration(
    String agent,
    String service,
    String namespace,
    Map<String, String> labels,
    String address,
    List<Integer> ports,
    String serviceAccount,
    Long pid,
    String host,
    String agentVersion) {

  public Registration {
    labels = Map.copyOf(labels);
    ports = List.copyOf(ports);
  }
}
