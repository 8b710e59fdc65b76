package io.inmesh.instrumentation.reactornettyserver;

import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.Mesh;
import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The inbound stage around the application's handler function of a Reactor Netty
 * {@code HttpServer} (the function given to {@code handle(..)}, {@code route(..)}'s routes, WebFlux's
 * adapter). Reactor Netty applies it on the connection's event loop once a request's head arrived;
 * the stage is synchronous and cheap, and nothing here blocks.
 *
 * <p>In order: a plain-text request on a port where PeerAuthentication now requires mTLS (a
 * connection kept alive across a PERMISSIVE → STRICT change) is not served, its connection closed
 * with no answer, as a new plain connection is refused ({@link MeshTlsDecoder}); any
 * {@code X-Forwarded-Client-Cert} a client sent is removed and, over mesh mTLS, the mesh's own is set,
 * as Istio's sidecars do (sanitize, then set); then the stage (authorization) runs, and a request the
 * mesh answers itself (403 {@code RBAC: access denied}) gets that answer as a Reactor Netty response,
 * without the application's function ever being applied. The mesh's response headers are added to
 * the response before the application's function runs (they are sent when it commits).
 */
public final class MeshInboundHandler implements BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> {
  private final BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> application;

  private MeshInboundHandler(BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> application) {
    this.application = application;
  }

  /** The application's function with the inbound stage in front (once: a wrapped one is returned as it is). */
  @SuppressWarnings("unchecked")
  public static BiFunction<?, ?, ?> wrap(BiFunction<?, ?, ?> handler) {
    if (handler instanceof MeshInboundHandler) {
      return handler;
    }
    return new MeshInboundHandler((BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>>) handler);
  }

  @Override
  public Publisher<Void> apply(HttpServerRequest request, HttpServerResponse response) {
    Channel channel = null;
    Certificate[] peer = null;
    LocalAnswer answer = null;
    boolean staged = false;
    try {
      channel = request instanceof Connection ? ((Connection) request).channel() : null;
      if (channel != null) {
        peer = MeshTlsDecoder.meshPeer(channel);
        if (peer == null && MeshTlsDecoder.meshTls(channel) == null && !MeshTlsDecoder.applicationTls(channel) && requiresMtls(channel)) {
          // nothing is written: the connection is closed (on this event loop, at once), as the mesh
          // refuses plain text on this port
          connectionOf(channel).close();
          return Mono.empty();
        }
      }
      HttpHeaders headers = request.requestHeaders();
      headers.remove(InboundTls.XFCC_HEADER);
      String xfcc = peer == null ? null : Mesh.forwardedClientCert(peer);
      if (xfcc != null) {
        headers.set(InboundTls.XFCC_HEADER, xfcc);
      }
      staged = true;
      answer = Mesh.inbound(new View(request, channel, peer));
      if (answer == null) {
        Mesh.inboundResponse(new Headers(response.responseHeaders()));
      }
    } catch (Throwable t) {
      Mesh.failed("reactor-netty-server", t);
      if (channel != null && peer == null && requiresMtlsOrFailed(channel)) {
        connectionOf(channel).close(); // security fails closed
        if (staged) {
          Mesh.inboundEnd();
        }
        return Mono.empty();
      }
    }
    try {
      if (answer != null) {
        return localAnswer(response, answer);
      }
      return application.apply(request, response);
    } finally {
      if (staged) {
        Mesh.inboundEnd();
      }
    }
  }

  /** The mesh's own answer as a Reactor Netty response (fixed length, text). */
  private static Publisher<Void> localAnswer(HttpServerResponse response, LocalAnswer answer) {
    byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
    response.status(answer.status())
        .header("content-type", "text/plain")
        .header("content-length", String.valueOf(body.length))
        .header("x-inmesh-reason", answer.reason());
    if (answer.location() != null) {
      response.header("location", answer.location());
    }
    return response.sendByteArray(Mono.just(body)).then();
  }

  /** PeerAuthentication of the request's port asks for mTLS only (or refuses everything). */
  private static boolean requiresMtls(Channel channel) {
    SocketAddress a = channel.localAddress();
    if (!(a instanceof InetSocketAddress)) {
      return false;
    }
    int mode = Mesh.inboundTls((InetSocketAddress) a);
    return mode == InboundTls.MTLS_ONLY || mode == InboundTls.REFUSE;
  }

  private static boolean requiresMtlsOrFailed(Channel channel) {
    try {
      return MeshTlsDecoder.meshTls(channel) == null && !MeshTlsDecoder.applicationTls(channel) && requiresMtls(channel);
    } catch (Throwable t) {
      return true;
    }
  }

  /** The TCP connection of a request (an HTTP/2 stream's parent). */
  private static Channel connectionOf(Channel channel) {
    Channel c = channel;
    while (c.parent() != null && !(c.parent() instanceof ServerChannel)) {
      c = c.parent();
    }
    return c;
  }

  /** The mesh's response headers, on Reactor Netty's (mutable until the response is sent). */
  static final class Headers implements HeaderSink {
    private final HttpHeaders headers;

    Headers(HttpHeaders headers) {
      this.headers = headers;
    }

    @Override
    public void set(String name, String value) {
      headers.set(name, value);
    }

    @Override
    public void add(String name, String value) {
      headers.add(name, value);
    }

    @Override
    public void remove(String name) {
      headers.remove(name);
    }
  }

  /**
   * {@link InboundRequest} over Reactor Netty's request. The addresses are the connection's own,
   * never ones derived from {@code Forwarded}/{@code X-Forwarded-*} headers a client sent
   * ({@code remoteAddress()} with {@code forwarded(true)} would be).
   */
  static final class View implements InboundRequest {
    private final HttpServerRequest request;
    private final Channel channel;
    private final Certificate[] peer;

    View(HttpServerRequest request, Channel channel, Certificate[] peer) {
      this.request = request;
      this.channel = channel;
      this.peer = peer;
    }

    @Override
    public String method() {
      return request.method().name();
    }

    @Override
    public String path() {
      String uri = request.uri();
      if (uri == null || uri.isEmpty()) {
        return "/";
      }
      if (uri.charAt(0) != '/') {
        // absolute form (http://host/path?q): the path and query only
        int scheme = uri.indexOf("://");
        int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 3);
        if (slash < 0) {
          int q = scheme < 0 ? -1 : uri.indexOf('?', scheme + 3);
          return q < 0 ? "/" : "/" + uri.substring(q);
        }
        return uri.substring(slash);
      }
      return uri;
    }

    @Override
    public String header(String name) {
      return request.requestHeaders().get(name);
    }

    @Override
    public InetSocketAddress localAddress() {
      SocketAddress a = channel == null ? null : channel.localAddress();
      return a instanceof InetSocketAddress ? (InetSocketAddress) a : null;
    }

    @Override
    public InetSocketAddress remoteAddress() {
      SocketAddress a = channel == null ? null : channel.remoteAddress();
      return a instanceof InetSocketAddress ? (InetSocketAddress) a : null;
    }

    @Override
    public Certificate[] peerCertificates() {
      return peer;
    }
  }
}
