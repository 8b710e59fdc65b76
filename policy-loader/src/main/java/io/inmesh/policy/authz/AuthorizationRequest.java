package io.inmesh.policy.authz;

import java.util.Locale;
import java.util.Map;

/**
 * What authorization sees of an inbound request. Peer identity comes only from the verified TLS
 * peer certificate (never from a header); {@link #requestPrincipal()} stays null until JWT
 * validation (RequestAuthentication) exists.
 */
public interface AuthorizationRequest {

  String method();

  /** The Host / :authority header as sent (may carry a port). */
  String host();

  /** The destination (listening) port. */
  int port();

  /** The raw path with its query. */
  String path();

  /** First value of a request header, case-insensitive; null when absent. */
  String header(String name);

  /**
   * The peer's identity from its certificate, {@code <trust-domain>/ns/<ns>/sa/<sa>} (a
   * {@code spiffe://} prefix is accepted); null for plain text.
   */
  String sourcePrincipal();

  /** The peer's IP address. */
  String sourceIp();

  /** The original client IP (X-Forwarded-For / proxy protocol); defaults to {@link #sourceIp()}. */
  default String remoteIp() {
    return sourceIp();
  }

  default String destinationIp() {
    return null;
  }

  default String sni() {
    return null;
  }

  /** {@code <iss>/<sub>} of a validated JWT; always null until RequestAuthentication is supported. */
  default String requestPrincipal() {
    return null;
  }

  /** A plain request, for tests and for adapters that have everything at hand. */
  record Simple(
      String method,
      String host,
      int port,
      String path,
      Map<String, String> headers,
      String sourcePrincipal,
      String sourceIp)
      implements AuthorizationRequest {

    public static Simple of(String method, String path) {
      return new Simple(method, "svc", 8080, path, Map.of(), null, "127.0.0.1");
    }

    public Simple withMethod(String m) {
      return new Simple(m, host, port, path, headers, sourcePrincipal, sourceIp);
    }

    public Simple withPath(String p) {
      return new Simple(method, host, port, p, headers, sourcePrincipal, sourceIp);
    }

    public Simple from(String principal) {
      return new Simple(method, host, port, path, headers, principal, sourceIp);
    }

    public Simple fromIp(String ip) {
      return new Simple(method, host, port, path, headers, sourcePrincipal, ip);
    }

    public Simple onPort(int p) {
      return new Simple(method, host, p, path, headers, sourcePrincipal, sourceIp);
    }

    public Simple withHost(String h) {
      return new Simple(method, h, port, path, headers, sourcePrincipal, sourceIp);
    }

    public Simple withHeader(String name, String value) {
      java.util.HashMap<String, String> h = new java.util.HashMap<>(headers);
      h.put(name.toLowerCase(Locale.ROOT), value);
      return new Simple(method, host, port, path, Map.copyOf(h), sourcePrincipal, sourceIp);
    }

    @Override
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }
}
