package io.inmesh.instrumentation.undertow;

import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.Mesh;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import org.xnio.IoUtils;

/**
 * The inbound stage as Undertow's own extension point, a handler wrapping the root handler of a
 * listener, so it runs before any handler of the application (and before it dispatches to a worker
 * thread).
 *
 * <p>In order: a plain-text request on a port where PeerAuthentication now requires mTLS (a
 * connection kept alive across a PERMISSIVE → STRICT change) is not served: its connection is closed
 * with no answer, as a new plain connection is ({@link MeshConnections}); any
 * {@code X-Forwarded-Client-Cert} a client sent is removed and, over the mesh's mTLS, the mesh's own
 * is set from the verified peer certificate, as Istio's sidecars do (sanitize, then set), so neither
 * the stage's rules nor the application see a forged identity; then the stage
 * (authorization) runs, and a request the mesh answers itself (403 {@code RBAC: access denied}) never
 * reaches the application. The mesh's response headers are added before the application's handler
 * runs (Undertow's response headers are mutable until the response starts).
 *
 * <p>A listener the application made HTTPS itself is left alone by the PeerAuthentication checks
 * (its peer certificates are not a mesh identity).
 */
public final class MeshInboundHandler implements HttpHandler {
  /** Set on an exchange the stage has run for: a second wrapper on the same path (h2c upgrade, a re-set root) does nothing. */
  private static final AttachmentKey<Boolean> STAGED = AttachmentKey.create(Boolean.class);
  private static final HttpString XFCC = new HttpString(InboundTls.XFCC_HEADER);
  private static final HttpString REASON = new HttpString("x-inmesh-reason");

  private final HttpHandler next;

  private MeshInboundHandler(HttpHandler next) {
    this.next = next;
  }

  /**
   * {@code handler} with the stage in front (once: an already wrapped handler is returned as is, and
   * so is Undertow's h2c upgrade handler, whose own next handler is wrapped as it is made: see
   * {@link Http2UpgradeInstrumentation}).
   */
  public static HttpHandler wrap(HttpHandler handler) {
    if (handler == null) {
      return null;
    }
    String name = handler.getClass().getName();
    if (name.equals(MeshInboundHandler.class.getName()) || name.equals("io.undertow.server.protocol.http2.Http2UpgradeHandler")) {
      return handler;
    }
    return new MeshInboundHandler(handler);
  }

  /** The handler this one runs after the stage (for tools that walk a handler chain). */
  public HttpHandler getNext() {
    return next;
  }

  private static boolean requiresMtls(InetSocketAddress local) {
    int mode = Mesh.inboundTls(local);
    return mode == InboundTls.MTLS_ONLY || mode == InboundTls.REFUSE;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    if (exchange.getAttachment(STAGED) != null) {
      next.handleRequest(exchange);
      return;
    }
    exchange.putAttachment(STAGED, Boolean.TRUE);
    Certificate[] peer = MeshConnections.meshPeer(exchange.getConnection());
    View view = new View(exchange, peer);
    boolean plain = exchange.getConnection().getSslSessionInfo() == null;
    if (plain && view.localAddress() != null && requiresMtls(view.localAddress())) {
      // nothing is written: the kept-alive plain connection is closed, as a new one is refused
      exchange.setPersistent(false);
      IoUtils.safeClose(exchange.getConnection());
      return;
    }
    exchange.getRequestHeaders().remove(XFCC);
    String xfcc = peer == null ? null : Mesh.forwardedClientCert(peer);
    if (xfcc != null) {
      exchange.getRequestHeaders().put(XFCC, xfcc); // the verified identity, as Istio's sidecar sets it
    }
    LocalAnswer answer;
    try {
      answer = Mesh.inbound(view);
    } catch (Throwable t) {
      Mesh.failed("undertow-server", t);
      answer = null;
    }
    try {
      if (answer != null) {
        exchange.setStatusCode(answer.status());
        HeaderMap headers = exchange.getResponseHeaders();
        headers.put(io.undertow.util.Headers.CONTENT_TYPE, "text/plain");
        headers.put(REASON, answer.reason());
        exchange.getResponseSender().send(answer.body());
        return;
      }
      try {
        Mesh.inboundResponse(new Headers(exchange.getResponseHeaders()));
      } catch (Throwable t) {
        Mesh.failed("undertow-server", t);
      }
      next.handleRequest(exchange);
    } finally {
      Mesh.inboundEnd();
    }
  }

  /** The mesh's response headers, on Undertow's response header map. */
  static final class Headers implements HeaderSink {
    private final HeaderMap map;

    Headers(HeaderMap map) {
      this.map = map;
    }

    @Override
    public void set(String name, String value) {
      map.put(new HttpString(name), value);
    }

    @Override
    public void add(String name, String value) {
      map.add(new HttpString(name), value);
    }

    @Override
    public void remove(String name) {
      map.remove(new HttpString(name));
    }
  }

  /** {@link InboundRequest} over Undertow's exchange. */
  static final class View implements InboundRequest {
    final HttpServerExchange exchange;
    final Certificate[] peer;

    View(HttpServerExchange exchange, Certificate[] peer) {
      this.exchange = exchange;
      this.peer = peer;
    }

    @Override
    public String method() {
      return exchange.getRequestMethod().toString();
    }

    @Override
    public String path() {
      String path = exchange.getRequestURI();
      String query = exchange.getQueryString();
      if (path == null || path.isEmpty()) {
        path = "/";
      }
      return query == null || query.isEmpty() ? path : path + "?" + query;
    }

    @Override
    public String header(String name) {
      return exchange.getRequestHeaders().getFirst(name);
    }

    @Override
    public InetSocketAddress localAddress() {
      SocketAddress a = exchange.getConnection().getLocalAddress();
      return a instanceof InetSocketAddress ? (InetSocketAddress) a : null;
    }

    @Override
    public InetSocketAddress remoteAddress() {
      SocketAddress a = exchange.getConnection().getPeerAddress();
      return a instanceof InetSocketAddress ? (InetSocketAddress) a : null;
    }

    /** The verified chain of a connection the mesh made TLS; null for plain text and the application's own HTTPS. */
    @Override
    public Certificate[] peerCertificates() {
      return peer;
    }
  }
}
