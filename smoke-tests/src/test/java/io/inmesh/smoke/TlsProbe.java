package io.inmesh.smoke;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A TLS caller from outside the mesh, for the servers' mTLS tests: it trusts any server, records the
 * certificate the server presented, and sends one request; a refused handshake or connection comes
 * back as {@code "refused: …"}.
 */
final class TlsProbe {
  private TlsProbe() {}

  /** Trusts every server certificate and adds the leaf of each to {@code presented}. */
  static TrustManager[] recordingServer(List<X509Certificate> presented) {
    return new TrustManager[] {
      new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
          presented.add(chain[0]);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      }
    };
  }

  /** One {@code GET path} over TLS 1.3 with {@code context}; the raw response, or why it failed. */
  static String get(SSLContext context, String address, int port, String host, String path) {
    try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress(address, port), 5_000);
      s.setSoTimeout(15_000);
      s.startHandshake();
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException refused) {
      return "refused: " + refused;
    }
  }
}
