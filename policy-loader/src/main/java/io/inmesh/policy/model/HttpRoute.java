package io.inmesh.policy.model;

import java.time.Duration;
import java.util.List;

/**
 * One {@code http[]} rule of a VirtualService; an empty match list matches every request.
 *
 * @param route empty for a redirect, directResponse or delegate rule
 * @param delegate the VirtualService whose rules this one delegates to, or null
 * @param timeout null: none (Istio's default)
 * @param retries null: the mesh default applies
 * @param mirrors {@code mirror} (with {@code mirrorPercentage}) and {@code mirrors}, in that order
 */
public record HttpRoute(
    String name,
    List<HttpMatch> match,
    List<RouteDestination> route,
    HttpRedirect redirect,
    HttpDirectResponse directResponse,
    ResourceRef delegate,
    HttpRewrite rewrite,
    Duration timeout,
    HttpRetry retries,
    HttpFault fault,
    List<HttpMirror> mirrors,
    Headers headers,
    CorsPolicy corsPolicy) {

  public HttpRoute(String name, List<HttpMatch> match, List<RouteDestination> route) {
    this(name, match, route, null, null, null, null, null, null, null, List.of(), Headers.NONE, null);
  }
}
