package io.inmesh.instrumentation.tomcat;

import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.Mesh;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.tomcat.util.buf.ByteBufferUtils;
import org.apache.tomcat.util.net.NioEndpoint;
import org.apache.tomcat.util.net.SSLSupport;
import org.apache.tomcat.util.net.SecureNioChannel;
import org.apache.tomcat.util.net.SocketBufferHandler;
import org.apache.tomcat.util.net.jsse.JSSESupport;

/**
 * A connection of Tomcat's NIO connector on a port where PeerAuthentication asks for mTLS, decided
 * per connection as the JDK {@code HttpServer} adapter decides it
 * (https://istio.io/latest/docs/reference/config/security/peer_authentication/): when the connection's
 * first byte arrives (Tomcat's "handshake" step, on a worker thread, before any request is parsed),
 * a TLS handshake record (0x16) gets Tomcat's own TLS over NIO ({@link SecureNioChannel}: its
 * wrap/unwrap and handshake loop) with an engine over this workload's mesh certificate and the mesh
 * roots, client certificates required; anything else is plain text, served as Tomcat's plain
 * {@code NioChannel} serves it when the port is PERMISSIVE, and refused (the connection closed, no
 * byte answered) when it is STRICT. DISABLE, decided at that moment, is plain text.
 *
 * <p>Tomcat picks {@code SecureNioChannel} or {@code NioChannel} per connector ({@code SSLEnabled}),
 * which cannot serve both on one port, so this channel is both: it extends {@code SecureNioChannel}
 * (Tomcat's TLS code, and its {@code instanceof} checks that hand the peer's certificate to the request
 * as {@code jakarta.servlet.request.X509Certificate}), and in plain mode it behaves exactly as
 * {@code NioChannel} does (its methods over the socket channel), with the peeked byte put back in front.
 * The SNI step of {@code SecureNioChannel} is skipped (the mesh has one certificate, whatever the name):
 * the engine is set up here, which is the part of that step the handshake needs.
 *
 * <p>The connector stays a plain-HTTP connector: the application sees {@code http}, not secure, as an
 * application behind an Istio sidecar does; the certificate is in the session, the identity in
 * {@code X-Forwarded-Client-Cert} ({@link MeshInboundValve}). Anything going wrong closes the
 * connection: security fails closed.
 */
public final class MeshNioChannel extends SecureNioChannel {
  private static final int UNDECIDED = 0;
  private static final int PLAIN = 1;
  private static final int TLS = 2;
  private static final int REFUSED = 3;

  /** Per connection (reset with the channel when Tomcat reuses it for another one). */
  private int state = UNDECIDED;

  public MeshNioChannel(SocketBufferHandler bufHandler, NioEndpoint endpoint) {
    super(bufHandler, endpoint);
  }

  @Override
  public void reset(SocketChannel channel, NioEndpoint.NioSocketWrapper socketWrapper) throws IOException {
    super.reset(channel, socketWrapper);
    state = UNDECIDED;
  }

  @Override
  public boolean isHandshakeComplete() {
    switch (state) {
      case PLAIN:
        return true;
      case TLS:
        return super.isHandshakeComplete();
      default:
        return false;
    }
  }

  @Override
  public int handshake(boolean read, boolean write) throws IOException {
    if (state == UNDECIDED) {
      int decided;
      try {
        decided = decide();
      } catch (IOException e) {
        state = REFUSED;
        throw e;
      } catch (Throwable t) {
        state = REFUSED;
        Mesh.failed("tomcat-mtls", t);
        return -1;
      }
      if (decided != 0) {
        return decided;
      }
    }
    switch (state) {
      case PLAIN:
        return 0;
      case TLS:
        return super.handshake(read, write);
      default:
        return -1;
    }
  }

  /** 0 when decided (PLAIN or TLS set up), -1 to close, or the interest to wait for. */
  private int decide() throws IOException {
    SocketAddress local = sc.getLocalAddress();
    int mode = local instanceof InetSocketAddress a ? Mesh.inboundTls(a) : InboundTls.PLAIN;
    if (mode == InboundTls.PLAIN) {
      state = PLAIN; // e.g. DISABLE since the connection was accepted
      return 0;
    }
    if (mode != InboundTls.EITHER && mode != InboundTls.MTLS_ONLY) {
      state = REFUSED; // REFUSE (STRICT without an identity yet), or anything unknown: fail closed
      return -1;
    }
    // one byte tells a TLS ClientHello from plain text; it stays in netInBuffer for whichever reads next
    int limit = netInBuffer.limit();
    netInBuffer.limit(netInBuffer.position() + 1);
    int n;
    try {
      n = sc.read(netInBuffer);
    } finally {
      netInBuffer.limit(limit);
    }
    if (n < 0) {
      state = REFUSED;
      return -1;
    }
    if (netInBuffer.position() == 0) {
      return SelectionKey.OP_READ;
    }
    boolean tls = (netInBuffer.get(0) & 0xff) == InboundTls.TLS_HANDSHAKE_RECORD;
    if (!tls) {
      if (mode == InboundTls.MTLS_ONLY) {
        state = REFUSED; // STRICT: plain text is refused at the connection
        return -1;
      }
      state = PLAIN;
      return 0;
    }
    SSLContext context = Mesh.inboundSslContext();
    if (context == null) {
      state = REFUSED;
      return -1;
    }
    SSLEngine engine = context.createSSLEngine();
    Mesh.configureInboundEngine(engine);
    // what SecureNioChannel's SNI step does once it has an engine: buffers sized for its session
    sslEngine = engine;
    getBufHandler().expand(engine.getSession().getApplicationBufferSize());
    netInBuffer = ByteBufferUtils.expand(netInBuffer, engine.getSession().getPacketBufferSize());
    netOutBuffer = ByteBufferUtils.expand(netOutBuffer, engine.getSession().getPacketBufferSize());
    netOutBuffer.position(0);
    netOutBuffer.limit(0);
    engine.beginHandshake();
    handshakeStatus = engine.getHandshakeStatus();
    sniComplete = true;
    state = TLS;
    // The connection is the mesh's, not the application's client's: Tomcat's per-connection request
    // limit (maxKeepAliveRequests, 100 in Spring Boot) would make the calling mesh re-handshake every
    // 100 calls. Behind a sidecar that limit never meets the mesh either (it applies to the proxy's
    // local connection; the proxy-to-proxy mTLS connection lives on). Idle timeouts still apply.
    if (socketWrapper != null) {
      socketWrapper.setKeepAliveLeft(Integer.MAX_VALUE);
    }
    return 0;
  }

  /** The verified session of an mTLS connection (Tomcat hands its peer certificates to the request). */
  @Override
  public SSLSupport getSSLSupport() {
    if (state == TLS && sslEngine != null && super.isHandshakeComplete()) {
      return new JSSESupport(sslEngine.getSession(), Map.of());
    }
    return null;
  }

  // ---- plain text: NioChannel's behaviour, with the peeked byte first ----------------------------

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (state != PLAIN) {
      return state == REFUSED ? -1 : super.read(dst);
    }
    if (netInBuffer.position() == 0) {
      return sc.read(dst);
    }
    int n = drainPeeked(dst);
    if (dst.hasRemaining()) {
      int more = sc.read(dst);
      if (more > 0) {
        n += more;
      }
    }
    return n;
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    if (state != PLAIN) {
      return state == REFUSED ? -1 : super.read(dsts, offset, length);
    }
    if (netInBuffer.position() == 0) {
      return sc.read(dsts, offset, length);
    }
    for (int i = offset; i < offset + length; i++) {
      if (dsts[i].hasRemaining()) {
        return drainPeeked(dsts[i]);
      }
    }
    return 0;
  }

  private int drainPeeked(ByteBuffer dst) {
    netInBuffer.flip();
    int n = Math.min(netInBuffer.remaining(), dst.remaining());
    ByteBuffer slice = netInBuffer.duplicate();
    slice.limit(slice.position() + n);
    dst.put(slice);
    netInBuffer.position(netInBuffer.position() + n);
    netInBuffer.compact();
    return n;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (state != PLAIN) {
      return super.write(tlsOnly(src));
    }
    checkInterruptStatus();
    if (!src.hasRemaining()) {
      return 0;
    }
    return sc.write(src);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    if (state != PLAIN) {
      return super.write(tlsOnly(srcs), offset, length);
    }
    checkInterruptStatus();
    return sc.write(srcs, offset, length);
  }

  /** Nothing is written on a connection that is neither plain nor mTLS (being decided, or refused). */
  private <T> T tlsOnly(T data) throws IOException {
    if (state != TLS) {
      throw new IOException("inmesh: this connection was refused (PeerAuthentication)");
    }
    return data;
  }

  @Override
  public int getOutboundRemaining() {
    return state == PLAIN ? 0 : super.getOutboundRemaining();
  }

  @Override
  public boolean flushOutbound() throws IOException {
    return state == PLAIN ? false : super.flushOutbound();
  }

  @Override
  public boolean isClosing() {
    return state == PLAIN ? false : super.isClosing();
  }

  @Override
  public void close() throws IOException {
    if (state == PLAIN) {
      sc.close();
      return;
    }
    super.close();
  }

  @Override
  public String toString() {
    return "inmesh " + (state == TLS ? "mTLS" : state == PLAIN ? "plain" : state == REFUSED ? "refused" : "undecided") + " " + super.toString();
  }
}
