package io.inmesh.instrumentation.tomcat;

import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.Mesh;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;
import org.apache.tomcat.util.http.MimeHeaders;

/**
 * The inbound stage as Tomcat's own extension point: a valve first in the engine's pipeline, so it
 * runs before any host, context, filter or servlet. A request the mesh answers itself
 * (authorization's 403) never reaches the application.
 *
 * <p>Before the stage: a request that came in plain text on a port where PeerAuthentication now
 * requires mTLS (a connection kept alive across a PERMISSIVE → STRICT change, or accepted just before
 * it) is not served: its connection is closed without an answer, as a new plain connection is refused
 * ({@link MeshNioChannel}). Then any {@code X-Forwarded-Client-Cert} the client sent is removed and,
 * over mTLS, the mesh's own is set, as Istio's sidecars do (sanitize, then set), so neither the
 * stage's header rules nor the application ever see a client's.
 */
public final class MeshInboundValve extends ValveBase {

  public MeshInboundValve() {
    super(true);
  }

  @Override
  public void invoke(Request request, Response response) throws IOException, ServletException {
    View view = new View(request);
    Certificate[] peer = view.peerCertificates();
    if (peer == null && !applicationTls(request) && requiresMtls(view)) {
      // nothing is written (not even a status line), and Tomcat closes the connection after this request
      response.setSuspended(true);
      request.getCoyoteRequest().action(ActionCode.CLOSE_NOW, null);
      return;
    }
    MimeHeaders headers = request.getCoyoteRequest().getMimeHeaders();
    headers.removeHeader(InboundTls.XFCC_HEADER);
    String xfcc = peer == null ? null : Mesh.forwardedClientCert(peer);
    if (xfcc != null) {
      headers.addValue(InboundTls.XFCC_HEADER).setString(xfcc);
    }
    LocalAnswer answer = Mesh.inbound(view);
    try {
      if (answer != null) {
        response.setStatus(answer.status());
        response.setContentType("text/plain");
        response.setHeader("x-inmesh-reason", answer.reason());
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        response.finishResponse();
        return;
      }
      getNext().invoke(request, response);
    } finally {
      Mesh.inboundEnd();
    }
  }

  /**
   * The request came through a connector the application made TLS itself (its own certificate, not
   * the mesh's): the mesh leaves it alone. Read from the connector's configuration, not from
   * {@code isSecure()}, which a proxy-header valve may set from what a client sent.
   */
  private static boolean applicationTls(Request request) {
    return request.getConnector().getProtocolHandler() instanceof org.apache.coyote.http11.AbstractHttp11Protocol<?> p && p.isSSLEnabled();
  }

  /** PeerAuthentication of the request's port asks for mTLS only (or refuses everything). */
  private static boolean requiresMtls(View view) {
    int mode = Mesh.inboundTls(view.localAddress());
    return mode == InboundTls.MTLS_ONLY || mode == InboundTls.REFUSE;
  }

  /** {@link InboundRequest} over Tomcat's request. */
  static final class View implements InboundRequest {
    private final Request request;
    private Certificate[] peer;
    private boolean peerRead;

    View(Request request) {
      this.request = request;
    }

    @Override
    public String method() {
      return request.getMethod();
    }

    @Override
    public String path() {
      String q = request.getQueryString();
      return q == null ? request.getRequestURI() : request.getRequestURI() + "?" + q;
    }

    @Override
    public String header(String name) {
      return request.getHeader(name);
    }

    @Override
    public InetSocketAddress localAddress() {
      return new InetSocketAddress(request.getLocalAddr(), request.getLocalPort());
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return new InetSocketAddress(request.getRemoteAddr(), request.getRemotePort());
    }

    @Override
    public Certificate[] peerCertificates() {
      if (!peerRead) {
        peerRead = true;
        // the verified chain of the connection's TLS session (the mesh's, or the application's own TLS)
        Object certs = request.getAttribute("jakarta.servlet.request.X509Certificate");
        peer = certs instanceof Certificate[] c && c.length > 0 ? c : null;
      }
      return peer;
    }
  }
}
