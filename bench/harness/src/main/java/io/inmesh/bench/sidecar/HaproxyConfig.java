package io.inmesh.bench.sidecar;

/**
 * HAProxy configurations for a sidecar pair on one hop: the caller's outbound proxy (the app calls
 * it instead of the backend, as iptables redirection would make it) and the callee's inbound proxy
 * in front of the backend app. HTTP mode with keep-alive and connection reuse on both legs, one
 * thread each, no access log (Istio's default). With mTLS the proxy-to-proxy leg is TLS and each
 * side verifies the other's certificate against the run's throwaway CA.
 */
public final class HaproxyConfig {
  private HaproxyConfig() {}

  /** Paths of the PEM files for the mTLS leg ({@code *.pem} = certificate chain + key). */
  public record Tls(String caFile, String outboundPem, String inboundPem, String peerName) {}

  private static String common() {
    return common(null);
  }

  /** With {@code statsSocket}, a read-only admin socket ({@code show info}: the TLS connection counters the report reads). */
  private static String common(String statsSocket) {
    return """
        global
            nbthread 1
            maxconn 4096
            ssl-server-verify required
        """ + (statsSocket == null ? "" : "    stats socket " + statsSocket + " mode 600 level user\n") + """

        defaults
            mode http
            option http-keep-alive
            http-reuse always
            timeout connect 5s
            timeout client 60s
            timeout server 60s
            timeout http-keep-alive 60s

        """;
  }

  /** The caller's sidecar: listens where the app sends its call, forwards to the callee's inbound proxy. */
  public static String outbound(String listenAddress, int listenPort, String upstreamAddress, int upstreamPort, Tls tls) {
    String server = "    server inbound " + upstreamAddress + ":" + upstreamPort;
    if (tls != null) {
      server += " ssl verify required ca-file " + tls.caFile() + " crt " + tls.outboundPem() + " sni str(" + tls.peerName() + ") verifyhost " + tls.peerName();
    }
    return common()
        + "frontend outbound\n    bind " + listenAddress + ":" + listenPort + "\n    default_backend upstream\n\n"
        + "backend upstream\n" + server + "\n";
  }

  /** The callee's sidecar: terminates the hop (TLS with client-certificate verification under mTLS), forwards to the app. */
  public static String inbound(String listenAddress, int listenPort, String appAddress, int appPort, Tls tls) {
    return inbound(listenAddress, listenPort, appAddress, appPort, tls, null);
  }

  /** {@link #inbound(String, int, String, int, Tls)} with an admin socket at {@code statsSocket} (or none for null). */
  public static String inbound(String listenAddress, int listenPort, String appAddress, int appPort, Tls tls, String statsSocket) {
    String bind = "    bind " + listenAddress + ":" + listenPort;
    if (tls != null) {
      bind += " ssl crt " + tls.inboundPem() + " ca-file " + tls.caFile() + " verify required";
    }
    return common(statsSocket)
        + "frontend inbound\n" + bind + "\n    default_backend app\n\n"
        + "backend app\n    server app " + appAddress + ":" + appPort + "\n";
  }
}
