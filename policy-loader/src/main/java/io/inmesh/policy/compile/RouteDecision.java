package io.inmesh.policy.compile;

import io.inmesh.bootstrap.LocalAnswer;
import java.net.InetSocketAddress;

/** The outcome of the per-call stages for a mesh host: a destination, or a local answer. */
public sealed interface RouteDecision {

  /** The call goes to {@code cluster}, over {@code addresses} (non-empty). */
  record Routed(HostRoute host, int rule, Cluster cluster, InetSocketAddress[] addresses) implements RouteDecision {
    public InetSocketAddress pick() {
      return cluster.pick(addresses);
    }
  }

  /** The mesh answers the call itself. */
  record Local(HostRoute host, int rule, LocalAnswer answer) implements RouteDecision {}

  LocalAnswer NO_HEALTHY_UPSTREAM = new LocalAnswer(503, "no healthy upstream", "UH");
  LocalAnswer NO_ROUTE = new LocalAnswer(404, "", "NR");
  LocalAnswer NO_CLUSTER = new LocalAnswer(503, "no healthy upstream", "NC");
}
