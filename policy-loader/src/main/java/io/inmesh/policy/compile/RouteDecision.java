package io.inmesh.policy.compile;

import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.policy.model.Headers;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;

/**
 * The outcome of the per-call stages for a mesh host: a destination, or a local answer. Both carry
 * the matched rule's {@link RoutePolicy} (timeout, retries, fault, mirrors, rewrite, redirect,
 * header operations) for the stages that run after routing.
 */
public sealed interface RouteDecision {

  /** The rule's policy; for the default route of a service (no VirtualService), Istio's defaults. */
  RoutePolicy policy();

  /**
   * The call goes to {@code cluster}, over {@code addresses} (non-empty).
   *
   * @param rule the index of the matched rule in the host's compiled rules
   * @param destination the index of the picked destination within the rule's {@code route}
   * @param port the port the call was made to (the service port), -1 when the URL had none
   */
  record Routed(HostRoute host, int rule, Cluster cluster, InetSocketAddress[] addresses, int destination, int port)
      implements RouteDecision {

    public Routed(HostRoute host, int rule, Cluster cluster, InetSocketAddress[] addresses) {
      this(host, rule, cluster, addresses, 0, -1);
    }

    @Override
    public RoutePolicy policy() {
      return host.policy(rule);
    }

    /** The picked destination's own header operations ({@code route[].headers}). */
    public Headers destinationHeaders() {
      return host.destinationHeaders(rule, destination);
    }

    /** The destination's DestinationRule policy, for the port the call goes to. */
    public TrafficPolicy trafficPolicy() {
      return cluster.trafficPolicy(port < 0 ? 80 : port);
    }
  }

  /** The mesh answers the call itself. */
  record Local(HostRoute host, int rule, LocalAnswer answer) implements RouteDecision {
    @Override
    public RoutePolicy policy() {
      return rule < 0 ? null : host.policy(rule);
    }
  }

  LocalAnswer NO_HEALTHY_UPSTREAM = LocalAnswer.of(503, "UH");
  LocalAnswer NO_ROUTE = LocalAnswer.of(404, "NR");
  LocalAnswer NO_CLUSTER = LocalAnswer.of(503, "NC");
}
