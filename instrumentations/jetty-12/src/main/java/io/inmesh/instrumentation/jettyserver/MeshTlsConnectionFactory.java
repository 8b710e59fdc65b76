package io.inmesh.instrumentation.jettyserver;

import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.Mesh;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;

/**
 * Mesh mTLS on a Jetty connection, as Jetty's {@code SslConnectionFactory} does TLS: an
 * {@link MeshSslConnection} (Jetty's {@code SslConnection}) over the connection, and the connector's
 * next protocol (HTTP/1.1 as the application configured it) over the decrypted end point. The engine
 * comes from the mesh for each connection ({@link Mesh#inboundSslContext()}: this workload's current
 * certificate, the mesh roots, client certificates required), so a renewed certificate reaches new
 * connections. No identity (yet), or anything else wrong, throws: Jetty's detector then closes the
 * connection (security fails closed).
 *
 * <p>Detection: a first byte of a TLS handshake record (0x16, {@link InboundTls#TLS_HANDSHAKE_RECORD}),
 * as the other server adapters decide; anything else is plain text ({@link MeshTlsDetector} decides what
 * happens to it).
 */
public final class MeshTlsConnectionFactory extends AbstractConnectionFactory implements ConnectionFactory.Detecting {
  static final String PROTOCOL = "inmesh-mtls";
  /** Big enough for one TLS record (16 KiB of data plus its header, MAC and padding). */
  private static final int TLS_RECORD = 17 * 1024 + 512;

  private final String next;

  public MeshTlsConnectionFactory(String next) {
    super(PROTOCOL);
    this.next = next;
    setInputBufferSize(TLS_RECORD);
  }

  @Override
  public Detection detect(ByteBuffer buffer) {
    if (!buffer.hasRemaining()) {
      return Detection.NEED_MORE_BYTES;
    }
    return (buffer.get(buffer.position()) & 0xff) == InboundTls.TLS_HANDSHAKE_RECORD ? Detection.RECOGNIZED : Detection.NOT_RECOGNIZED;
  }

  @Override
  public Connection newConnection(Connector connector, EndPoint endPoint) {
    int mode = MeshTlsDetector.mode(endPoint);
    if (mode != InboundTls.EITHER && mode != InboundTls.MTLS_ONLY) {
      // DISABLE since the connection was accepted (or REFUSE): no mesh TLS on it
      throw new IllegalStateException("inmesh: PeerAuthentication serves no mesh mTLS on " + endPoint.getLocalSocketAddress() + " now");
    }
    SSLContext context = Mesh.inboundSslContext();
    if (context == null) {
      throw new IllegalStateException("inmesh: no workload certificate yet; the connection is refused");
    }
    SocketAddress remote = endPoint.getRemoteSocketAddress();
    SSLEngine engine = remote instanceof InetSocketAddress
        ? context.createSSLEngine(((InetSocketAddress) remote).getHostString(), ((InetSocketAddress) remote).getPort())
        : context.createSSLEngine();
    Mesh.configureInboundEngine(engine);
    MeshSslConnection ssl = new MeshSslConnection(connector.getByteBufferPool(), connector.getExecutor(), endPoint, engine);
    ssl.setRenegotiationAllowed(false);
    configure(ssl, connector, endPoint);
    ConnectionFactory following = connector.getConnectionFactory(next);
    if (following == null) {
      throw new IllegalStateException("inmesh: no " + next + " connection factory on " + connector);
    }
    EndPoint decrypted = ssl.getSslEndPoint();
    Connection connection = following.newConnection(connector, decrypted);
    decrypted.setConnection(connection);
    return ssl;
  }
}
