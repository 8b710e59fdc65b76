package io.inmesh.bootstrap;

/**
 * A client call as the mesh sees it, whatever library makes it. Each client adapter implements
 * this as a thin view over its own request type; nothing is copied until a stage asks.
 */
public interface OutboundRequest {

  /** The HTTP method, upper case. */
  String method();

  /** {@code http} or {@code https}. */
  String scheme();

  /** The host as the application wrote it (no port), e.g. {@code usuario-service}. */
  String host();

  /** The port as written in the URL, or -1 when the URL has none. */
  int port();

  /** The raw path with its query, never empty ({@code /} at least). */
  String path();

  /** The first value of a request header (case-insensitive name), or null. */
  String header(String name);
}
