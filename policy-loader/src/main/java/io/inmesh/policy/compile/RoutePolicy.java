package io.inmesh.policy.compile;

import io.inmesh.policy.model.CorsPolicy;
import io.inmesh.policy.model.Headers;
import io.inmesh.policy.model.HttpDirectResponse;
import io.inmesh.policy.model.HttpFault;
import io.inmesh.policy.model.HttpRedirect;
import io.inmesh.policy.model.HttpRetry;
import io.inmesh.policy.model.HttpRewrite;
import java.time.Duration;
import java.util.List;

/**
 * What the matched rule asks of the per-call stages after routing, compiled once: the agent's
 * fault, mirror, retry, timeout and header stages read it from {@link RouteDecision} without
 * reshaping anything. Istio's defaults are already applied: {@code retries} is the route's policy,
 * else the mesh default (attempts 2 unless a MeshConfig says otherwise); with a {@code fault} on
 * the rule, retries and timeout are off, as Istio documents ("timeouts or retries will not be
 * enabled when faults are enabled").
 *
 * @param virtualService {@code namespace/name}, null for the default route of a service
 * @param httpIndex the rule's index in {@code spec.http} (of the delegate, for delegated rules)
 * @param timeout null: no timeout (Istio's default)
 * @param mirrors targets to copy the request to, with the share of requests to copy
 */
public record RoutePolicy(
    String virtualService,
    int httpIndex,
    String name,
    Duration timeout,
    HttpRetry retries,
    HttpFault fault,
    List<Mirror> mirrors,
    HttpRewrite rewrite,
    HttpRedirect redirect,
    HttpDirectResponse directResponse,
    Headers headers,
    CorsPolicy corsPolicy) {

  /** A mirror destination, compiled like any route destination. */
  public record Mirror(Cluster cluster, double percentage) {}

  static RoutePolicy defaultRoute(HttpRetry meshDefault) {
    return new RoutePolicy(null, -1, null, null, meshDefault, null, List.of(), null, null, null, Headers.NONE, null);
  }
}
