package io.inmesh.instrumentation.undertow;

import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.Mesh;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.ServerConnection;
import io.undertow.server.protocol.http.HttpOpenListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Pooled;
import org.xnio.StreamConnection;
import org.xnio.XnioExecutor;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.conduits.PushBackStreamSourceConduit;
import org.xnio.ssl.SslConnection;

/**
 * A new connection on one of Undertow's plain HTTP listeners, where PeerAuthentication asks for mTLS,
 * decided per connection as the JDK {@code HttpServer} and Tomcat adapters decide it
 * (https://istio.io/latest/docs/reference/config/security/peer_authentication/): when its first byte
 * arrives (read on the connection's I/O thread, before Undertow parses anything), a TLS handshake
 * record (0x16) gets Undertow's own TLS ({@code UndertowXnioSsl.wrapExistingConnection}, the way its
 * PROXY-protocol listener adds TLS to an accepted connection) with an engine over this workload's
 * mesh certificate and the mesh roots, client certificates required; anything else is plain text,
 * handed to the listener with the byte put back when the port is PERMISSIVE, and refused (the
 * connection closed, no byte answered) when it is STRICT. REFUSE (mTLS required, no identity yet)
 * closes at once; PLAIN (DISABLE, PERMISSIVE without an identity) is left alone.
 *
 * <p>The listener stays an HTTP listener for the application's own configuration; the exchange is
 * TLS (as an HTTPS listener's), the identity is in {@code X-Forwarded-Client-Cert}
 * ({@link MeshInboundHandler}). Anything going wrong closes the connection: security fails closed.
 */
public final class MeshConnections {
  /** Set while a decided plain connection is handed back to the listener (its advice then lets it through). */
  private static final ThreadLocal<Boolean> DECIDED = new ThreadLocal<>();
  /** The connections this class made TLS (weak: they go with their connection). */
  private static final Set<StreamConnection> MESH_TLS = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
  /** A client that connects and sends nothing is closed after this long (Undertow's own timeouts start after the decision). */
  private static final long FIRST_BYTE_TIMEOUT_SECONDS = 60;

  private MeshConnections() {}

  /** True when the listener must not take the connection now (closed, or taken later once decided). */
  public static boolean onOpen(HttpOpenListener listener, StreamConnection connection, Object extra) {
    if (DECIDED.get() != null || connection instanceof SslConnection) {
      return false; // decided here, the application's own HTTPS listener, or the mesh's TLS on the way in
    }
    int mode;
    try {
      SocketAddress local = connection.getLocalAddress();
      if (!(local instanceof InetSocketAddress)) {
        return false;
      }
      mode = Mesh.inboundTls((InetSocketAddress) local); // REFUSE on inmesh's own errors
    } catch (Throwable t) {
      Mesh.failed("undertow-server", t);
      mode = InboundTls.REFUSE;
    }
    PooledByteBuffer buffer = extra instanceof PooledByteBuffer ? (PooledByteBuffer) extra : null;
    if (mode == InboundTls.PLAIN) {
      return false;
    }
    if (mode != InboundTls.EITHER && mode != InboundTls.MTLS_ONLY) {
      close(connection, buffer);
      return true;
    }
    try {
      if (buffer != null && buffer.getBuffer().hasRemaining()) {
        decide(listener, connection, mode, buffer); // bytes already read by a listener in front
        return true;
      }
      if (buffer != null) {
        buffer.close();
      }
      FirstByte first = new FirstByte(listener, connection, mode);
      if (!first.read(connection.getSourceChannel())) {
        first.timeout = connection.getIoThread().executeAfter(first::expire, FIRST_BYTE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        connection.getSourceChannel().getReadSetter().set(first::handle);
        connection.getSourceChannel().resumeReads();
      }
    } catch (Throwable t) {
      Mesh.failed("undertow-server", t);
      close(connection, null);
    }
    return true;
  }

  /** This request's connection is one the mesh made TLS; its verified peer chain, or null for any other connection. */
  public static Certificate[] meshPeer(ServerConnection connection) {
    if (!(connection instanceof io.undertow.server.AbstractServerConnection)) {
      return null;
    }
    StreamConnection channel = ((io.undertow.server.AbstractServerConnection) connection).getChannel();
    if (!(channel instanceof SslConnection) || !MESH_TLS.contains(channel)) {
      return null;
    }
    try {
      Certificate[] chain = ((SslConnection) channel).getSslSession().getPeerCertificates();
      return chain == null || chain.length == 0 ? null : chain;
    } catch (SSLPeerUnverifiedException e) {
      return null; // cannot happen with client certificates required; the stage then sees no identity
    }
  }

  private static void decide(HttpOpenListener listener, StreamConnection connection, int mode, PooledByteBuffer data) throws IOException {
    ByteBuffer b = data.getBuffer();
    if ((b.get(b.position()) & 0xff) == InboundTls.TLS_HANDSHAKE_RECORD) {
      SSLContext context = Mesh.inboundSslContext();
      if (context == null) {
        close(connection, data); // no identity to serve mTLS with
        return;
      }
      PushBackStreamSourceConduit pushBack = new PushBackStreamSourceConduit(connection.getSourceChannel().getConduit());
      pushBack.pushBack(new Bytes(data));
      connection.getSourceChannel().setConduit(pushBack);
      UndertowXnioSsl ssl = new UndertowXnioSsl(connection.getWorker().getXnio(), OptionMap.EMPTY, listener.getBufferPool(), context);
      SslConnection tls = ssl.wrapExistingConnection(connection, OptionMap.EMPTY, false);
      try {
        Mesh.configureInboundEngine(UndertowXnioSsl.getSslEngine(tls)); // client certificates required, mesh protocols
      } catch (Throwable t) {
        Mesh.failed("undertow-server", t);
        close(tls, null);
        return;
      }
      MESH_TLS.add(tls);
      listener.handleEvent(tls);
    } else if (mode == InboundTls.EITHER) {
      DECIDED.set(Boolean.TRUE);
      try {
        listener.handleEvent(connection, data); // the byte goes in front of what Undertow reads
      } finally {
        DECIDED.remove();
      }
    } else {
      close(connection, data); // STRICT: plain text is not served
    }
  }

  private static void close(StreamConnection connection, PooledByteBuffer buffer) {
    if (buffer != null) {
      buffer.close();
    }
    IoUtils.safeClose(connection);
  }

  /** Waits (on the connection's I/O thread) for the first byte of a new connection. */
  private static final class FirstByte {
    final HttpOpenListener listener;
    final StreamConnection connection;
    final int mode;
    final AtomicBoolean done = new AtomicBoolean();
    volatile XnioExecutor.Key timeout;

    FirstByte(HttpOpenListener listener, StreamConnection connection, int mode) {
      this.listener = listener;
      this.connection = connection;
      this.mode = mode;
    }

    void handle(StreamSourceChannel channel) {
      try {
        if (read(channel)) {
          XnioExecutor.Key t = timeout;
          if (t != null) {
            t.remove();
          }
        }
      } catch (Throwable t) {
        Mesh.failed("undertow-server", t);
        close(connection, null);
      }
    }

    /** True once decided (or closed); false while no byte has come. */
    boolean read(StreamSourceChannel channel) throws IOException {
      ByteBuffer one = ByteBuffer.allocate(1);
      int n;
      try {
        n = channel.read(one);
      } catch (IOException e) {
        n = -1;
      }
      if (n == 0) {
        return false;
      }
      if (!done.compareAndSet(false, true)) {
        return true;
      }
      channel.suspendReads();
      channel.getReadSetter().set(null);
      if (n < 0) {
        close(connection, null);
        return true;
      }
      one.flip();
      decide(listener, connection, mode, new Bytes(one));
      return true;
    }

    void expire() {
      if (done.compareAndSet(false, true)) {
        close(connection, null);
      }
    }
  }

  /** Bytes read ahead, as Undertow ({@code PooledByteBuffer}) and XNIO ({@code Pooled}) take them back. */
  @SuppressWarnings("deprecation")
  static final class Bytes implements PooledByteBuffer, Pooled<ByteBuffer> {
    private final ByteBuffer buffer;
    private final PooledByteBuffer pooled;

    Bytes(ByteBuffer buffer) {
      this.buffer = buffer;
      this.pooled = null;
    }

    Bytes(PooledByteBuffer pooled) {
      this.buffer = pooled.getBuffer();
      this.pooled = pooled;
    }

    @Override
    public ByteBuffer getBuffer() {
      return buffer;
    }

    @Override
    public ByteBuffer getResource() {
      return buffer;
    }

    @Override
    public void discard() {
      close();
    }

    @Override
    public void free() {
      close();
    }

    @Override
    public void close() {
      if (pooled != null) {
        pooled.close();
      }
    }

    @Override
    public boolean isOpen() {
      return pooled == null || pooled.isOpen();
    }
  }
}
