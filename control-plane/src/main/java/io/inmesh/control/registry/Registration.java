package io.inmesh.control.registry;

import java.util.List;
import java.util.Map;

/**
 * What an agent says about itself when it registers (already validated).
 *
 * @param address null for a client-only agent (it calls services but serves none)
 * @param ports the ports it listens on, primary first; empty for a client-only agent
 * @param agentVersion the inmesh version the agent runs
 * @param identity the SPIFFE ID the registering caller proved (client certificate or join token);
 *     null for an anonymous agent (loopback development setups). Only this identity may act for
 *     the record afterwards.
 * @param certificateExpires when the agent's certificate expires, as it reported (or as its TLS
 *     client certificate says); null without one
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
    String agentVersion,
    String identity,
    java.time.Instant certificateExpires) {

  public Registration {
    labels = Map.copyOf(labels);
    ports = List.copyOf(ports);
  }

  /** An anonymous registration (no proven identity). */
  public Registration(
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
    this(agent, service, namespace, labels, address, ports, serviceAccount, pid, host, agentVersion, null, null);
  }
}
