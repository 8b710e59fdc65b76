package io.inmesh.instrumentation.jdkhttpserver;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsExchange;
import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.Mesh;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;

/**
 * The inbound stage as the JDK server's own extension point: a {@link Filter} put first on every
 * context, so it runs before the application's filters and handler. A request the mesh answers
 * itself (authorization's 403) never reaches the application.
 */
public final class MeshInboundFilter extends Filter {

  @Override
  public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
    View view = new View(exchange);
    LocalAnswer answer = Mesh.inbound(view);
    try {
      if (answer != null) {
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("content-type", "text/plain");
        exchange.getResponseHeaders().set("x-inmesh-reason", answer.reason());
        exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
        return;
      }
      chain.doFilter(forApplication(exchange, view.peerCertificates()));
    } finally {
      Mesh.inboundEnd();
    }
  }

  /**
   * What the application sees: a client's own {@code X-Forwarded-Client-Cert} never reaches it;
   * over mTLS the mesh's does, with the verified peer identity (as Istio's sidecars send it).
   */
  static HttpExchange forApplication(HttpExchange exchange, Certificate[] peer) {
    String xfcc = peer == null ? null : Mesh.forwardedClientCert(peer);
    if (xfcc == null && !hasXfcc(exchange.getRequestHeaders())) {
      return exchange;
    }
    return new MeshExchange(exchange, xfcc);
  }

  /**
   * Whether the request carries an {@code X-Forwarded-Client-Cert}: a scan of its few header names
   * instead of {@code containsKey}, which normalizes the name into a new string on every request
   * (Java 17's {@code Headers.normalize}; issue 13's per-request cost).
   */
  private static boolean hasXfcc(com.sun.net.httpserver.Headers headers) {
    String name = io.inmesh.bootstrap.InboundTls.XFCC_HEADER;
    for (String k : headers.keySet()) {
      if (k != null && k.length() == name.length() && k.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String description() {
    return "inmesh inbound stage";
  }

  /** {@link InboundRequest} over an exchange. */
  static final class View implements InboundRequest {
    private final HttpExchange exchange;
    private Certificate[] peer;
    private boolean peerRead;

    View(HttpExchange exchange) {
      this.exchange = exchange;
    }

    @Override
    public String method() {
      return exchange.getRequestMethod();
    }

    @Override
    public String path() {
      String p = exchange.getRequestURI().getRawPath();
      String q = exchange.getRequestURI().getRawQuery();
      return q == null ? p : p + "?" + q;
    }

    @Override
    public String header(String name) {
      return exchange.getRequestHeaders().getFirst(name);
    }

    @Override
    public InetSocketAddress localAddress() {
      return exchange.getLocalAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return exchange.getRemoteAddress();
    }

    @Override
    public Certificate[] peerCertificates() {
      if (!peerRead) {
        peerRead = true;
        peer = readPeer();
      }
      return peer;
    }

    private Certificate[] readPeer() {
      try {
        if (exchange instanceof HttpsExchange https) {
          return https.getSSLSession().getPeerCertificates();
        }
        // a connection the mesh terminated mTLS for (PeerAuthentication): the session is the connection's
        javax.net.ssl.SSLSession s = MtlsConnections.session(exchange);
        return s == null ? null : s.getPeerCertificates();
      } catch (Exception unverified) {
        return null;
      }
    }
  }
}
