package io.inmesh.instrumentation.jettyserver;

import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.Mesh;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpScheme;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * The inbound stage as Jetty's own extension point: a {@code Handler.Wrapper} first under the
 * {@code Server}, so it runs before any context, servlet or handler of the application.
 *
 * <p>In order: a plain-text request on a port where PeerAuthentication requires mTLS is not served
 * (a connection kept alive across a PERMISSIVE → STRICT change, or one of a connector the mesh could
 * not prepare: the connection is closed with no answer, as {@link MeshTlsDetector} refuses a new plain
 * one); any {@code X-Forwarded-Client-Cert} a client sent is removed and, over mesh mTLS, the mesh's
 * own set from the verified peer certificate, as Istio's sidecars sanitize and set it, so neither
 * the stage's rules nor the application see a forged identity, and authorization's principals come
 * from the certificate only; then the
 * stage (authorization) runs, and a request the mesh answers itself (403 {@code RBAC: access
 * denied}) never reaches the application. The mesh's response headers are added before the
 * application's handler runs (Jetty's response headers are mutable until it commits).
 */
public final class MeshInboundHandler extends Handler.Wrapper {

  /** Inserts the stage first under {@code server}, once (a restarted server keeps it). */
  public static void insertInto(Server server) {
    try {
      for (Handler h = server.getHandler(); h != null; h = h instanceof Handler.Wrapper ? ((Handler.Wrapper) h).getHandler() : null) {
        if (h.getClass().getName().equals(MeshInboundHandler.class.getName())) {
          return;
        }
      }
      server.insertHandler(new MeshInboundHandler());
    } catch (Throwable t) {
      Mesh.failed("jetty-server", t);
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    Certificate[] peer = meshPeer(request);
    if (peer == null && requiresMtls(request)) {
      // nothing is written: the connection is closed, as the mesh refuses plain text on this port
      EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
      endPoint.close();
      callback.failed(new java.io.IOException("inmesh: plain text refused on a port that requires mesh mTLS"));
      return true;
    }
    String xfcc = peer == null ? null : Mesh.forwardedClientCert(peer);
    Request sanitized = peer != null || request.getHeaders().contains(InboundTls.XFCC_HEADER) ? new Sanitized(request, xfcc, peer != null) : request;
    LocalAnswer answer;
    try {
      answer = Mesh.inbound(new View(sanitized, peer));
    } catch (Throwable t) {
      Mesh.failed("jetty-server", t);
      answer = null;
    }
    try {
      if (answer != null) {
        response.setStatus(answer.status());
        response.getHeaders().put("content-type", "text/plain");
        response.getHeaders().put("x-inmesh-reason", answer.reason());
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put("content-length", String.valueOf(body.length));
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
      }
      Mesh.inboundResponse(new Headers(response.getHeaders()));
      return super.handle(sanitized, response, callback);
    } finally {
      Mesh.inboundEnd();
    }
  }

  /**
   * The verified client certificate chain of a connection the mesh terminated ({@link MeshSslConnection}),
   * or null: plain text, or TLS the application configured itself (its peers are not mesh identities).
   */
  static Certificate[] meshPeer(Request request) {
    try {
      EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
      if (endPoint instanceof SslConnection.SslEndPoint && ((SslConnection.SslEndPoint) endPoint).getSslConnection() instanceof MeshSslConnection) {
        Certificate[] chain = ((SslConnection.SslEndPoint) endPoint).getSslConnection().getSSLEngine().getSession().getPeerCertificates();
        return chain == null || chain.length == 0 ? null : chain;
      }
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return null; // cannot happen: the mesh's engine requires a client certificate
    } catch (RuntimeException | LinkageError e) {
      Mesh.failed("jetty-mtls", e); // no peer: principal rules match nothing, XFCC stays absent
    }
    return null;
  }

  /** PeerAuthentication of the request's port asks for mTLS only (or refuses everything), and this is plain text. */
  private static boolean requiresMtls(Request request) {
    if (request.getConnectionMetaData().isSecure()) {
      return false; // the application's own TLS: left alone
    }
    SocketAddress a = request.getConnectionMetaData().getLocalSocketAddress();
    int mode = Mesh.inboundTls(a instanceof InetSocketAddress ? (InetSocketAddress) a : null);
    return mode == InboundTls.MTLS_ONLY || mode == InboundTls.REFUSE;
  }

  /**
   * The request as the application gets it: without a client's {@code X-Forwarded-Client-Cert}, with
   * the mesh's own over mTLS (sanitize, then set, as Istio's sidecars do); over mesh mTLS it is plain
   * {@code http} and not secure to the application, as behind a sidecar (the TLS is the mesh's).
   */
  static final class Sanitized extends Request.Wrapper {
    private final HttpFields headers;
    private final boolean meshTls;
    private final HttpURI uri;
    private ConnectionMetaData meta;

    Sanitized(Request request, String xfcc, boolean meshTls) {
      super(request);
      HttpFields.Mutable h = HttpFields.build(request.getHeaders()).remove(InboundTls.XFCC_HEADER);
      if (xfcc != null) {
        h.add(InboundTls.XFCC_HEADER, xfcc);
      }
      this.headers = h.asImmutable();
      this.meshTls = meshTls;
      this.uri = meshTls ? HttpURI.build(request.getHttpURI()).scheme(HttpScheme.HTTP).asImmutable() : null;
    }

    @Override
    public HttpFields getHeaders() {
      return headers;
    }

    @Override
    public HttpURI getHttpURI() {
      return uri != null ? uri : super.getHttpURI();
    }

    @Override
    public boolean isSecure() {
      return !meshTls && super.isSecure();
    }

    @Override
    public ConnectionMetaData getConnectionMetaData() {
      if (!meshTls) {
        return super.getConnectionMetaData();
      }
      ConnectionMetaData m = meta;
      if (m == null) {
        m = new ConnectionMetaData.Wrapper(super.getConnectionMetaData()) {
          @Override
          public boolean isSecure() {
            return false;
          }
        };
        meta = m;
      }
      return m;
    }
  }

  /** The mesh's response headers, on Jetty's mutable response headers. */
  static final class Headers implements HeaderSink {
    private final HttpFields.Mutable fields;

    Headers(HttpFields.Mutable fields) {
      this.fields = fields;
    }

    @Override
    public void set(String name, String value) {
      fields.put(name, value);
    }

    @Override
    public void add(String name, String value) {
      fields.add(name, value);
    }

    @Override
    public void remove(String name) {
      fields.remove(name);
    }
  }

  /** {@link InboundRequest} over Jetty's request. */
  static final class View implements InboundRequest {
    final Request request;
    private final Certificate[] peer;

    View(Request request, Certificate[] peer) {
      this.request = request;
      this.peer = peer;
    }

    @Override
    public String method() {
      return request.getMethod();
    }

    @Override
    public String path() {
      String path = request.getHttpURI().getPath();
      String query = request.getHttpURI().getQuery();
      if (path == null || path.isEmpty()) {
        path = "/";
      }
      return query == null ? path : path + "?" + query;
    }

    @Override
    public String header(String name) {
      return request.getHeaders().get(name);
    }

    @Override
    public InetSocketAddress localAddress() {
      SocketAddress a = request.getConnectionMetaData().getLocalSocketAddress();
      return a instanceof InetSocketAddress ? (InetSocketAddress) a : null;
    }

    @Override
    public InetSocketAddress remoteAddress() {
      SocketAddress a = request.getConnectionMetaData().getRemoteSocketAddress();
      return a instanceof InetSocketAddress ? (InetSocketAddress) a : null;
    }

    /** The verified mesh peer of an mTLS connection; plain text (or the application's own TLS) has none. */
    @Override
    public Certificate[] peerCertificates() {
      return peer;
    }
  }
}
