package io.inmesh.instrumentation.tomcat;

import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.Mesh;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.coyote.ActionCode;
import org.apache.tomcat.util.http.MimeHeaders;

/**
 * The inbound stage over Tomcat's own request and response, free of the Servlet API in every
 * signature it links against, so that each Tomcat line's valve (this module's
 * {@link MeshInboundValve} on {@code jakarta.servlet}, Tomcat 10.1 and 11; the tomcat-9 module's on
 * {@code javax.servlet}) is a few lines around it: the Servlet API appears only in a valve's
 * {@code invoke} signature, in {@code getOutputStream()}'s return type and in the name of the
 * certificate attribute, which each valve supplies.
 *
 * <p>Before the stage: a request that came in plain text on a port where PeerAuthentication now
 * requires mTLS (a connection kept alive across a PERMISSIVE → STRICT change, or accepted just before
 * it) is not served: its connection is closed without an answer, as a new plain connection is refused
 * ({@link MeshNioChannel}). Then any {@code X-Forwarded-Client-Cert} the client sent is removed and,
 * over mTLS, the mesh's own is set, as Istio's sidecars do (sanitize, then set), so neither the
 * stage's header rules nor the application ever see a client's.
 */
public final class TomcatInbound {
  /** What {@link #enter} decided. */
  public static final int REFUSED = 0;
  public static final int ANSWER = 1;
  public static final int APPLICATION = 2;

  private final View view;
  private LocalAnswer answer;

  private TomcatInbound(View view) {
    this.view = view;
  }

  /**
   * Runs the stage for {@code request}; {@code certificatesAttribute} is the Servlet API's name of
   * the peer chain ({@code Globals.CERTIFICATES_ATTR} of the valve's Tomcat line). After
   * {@link #ANSWER} or {@link #APPLICATION} the valve calls {@link #exit} once done.
   */
  public static TomcatInbound of(Request request, String certificatesAttribute) {
    return new TomcatInbound(new View(request, certificatesAttribute));
  }

  /** {@link #REFUSED} (the connection is closed, nothing written), {@link #ANSWER} (write {@link #answer}) or {@link #APPLICATION}. */
  public int enter(Response response) {
    Request request = view.request;
    Certificate[] peer = view.peerCertificates();
    if (peer == null && !applicationTls(request) && requiresMtls(view)) {
      // nothing is written (not even a status line), and Tomcat closes the connection after this request
      response.setSuspended(true);
      request.getCoyoteRequest().action(ActionCode.CLOSE_NOW, null);
      return REFUSED;
    }
    MimeHeaders headers = request.getCoyoteRequest().getMimeHeaders();
    headers.removeHeader(InboundTls.XFCC_HEADER);
    String xfcc = peer == null ? null : Mesh.forwardedClientCert(peer);
    if (xfcc != null) {
      headers.addValue(InboundTls.XFCC_HEADER).setString(xfcc);
    }
    answer = Mesh.inbound(view);
    return answer == null ? APPLICATION : ANSWER;
  }

  /** Writes the mesh's own answer (authorization's 403) to {@code body}, the response's output stream, and finishes the response. */
  public void answer(Response response, OutputStream body) throws IOException {
    response.setStatus(answer.status());
    response.setContentType("text/plain");
    response.setHeader("x-inmesh-reason", answer.reason());
    byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
    response.setContentLength(bytes.length);
    body.write(bytes);
    response.finishResponse();
  }

  /**
   * The end of the stage, as the valve returns: the mesh's response headers go on a response the
   * application has not committed yet (most: Tomcat commits a response that fits its buffer only after
   * the pipeline has returned, when the request's inbound context is over, so the commit hook alone
   * would miss it; a response committed earlier got them from that hook), then the context ends.
   */
  public static void exit(Response response) {
    try {
      org.apache.coyote.Response coyote = response.getCoyoteResponse();
      if (coyote != null && !coyote.isCommitted()) {
        Mesh.inboundResponse(new InboundInstrumentation.ResponseHeaders(coyote));
      }
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
    private final String certificatesAttribute;
    private Certificate[] peer;
    private boolean peerRead;

    View(Request request, String certificatesAttribute) {
      this.request = request;
      this.certificatesAttribute = certificatesAttribute;
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
        Object certs = request.getAttribute(certificatesAttribute);
        peer = certs instanceof Certificate[] c && c.length > 0 ? c : null;
      }
      return peer;
    }
  }
}
