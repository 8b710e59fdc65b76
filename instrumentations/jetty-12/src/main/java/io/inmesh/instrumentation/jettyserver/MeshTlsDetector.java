package io.inmesh.instrumentation.jettyserver;

import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.Mesh;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.DetectorConnectionFactory;

/**
 * The first connection factory of a meshed connector: PeerAuthentication decided per connection, with
 * Jetty's own detecting machinery ({@code DetectorConnectionFactory}, as Jetty serves optional TLS on
 * one port), https://istio.io/latest/docs/reference/config/security/peer_authentication/:
 *
 * <ul>
 *   <li>DISABLE (or no mTLS asked for): the connector's own first protocol at once, untouched;
 *   <li>PERMISSIVE: the first bytes decide, a TLS handshake record gets mesh mTLS
 *       ({@link MeshTlsConnectionFactory}), anything else the connector's own protocol with those
 *       bytes handed on (Jetty's upgrade with a prefilled buffer);
 *   <li>STRICT: the same, but plain text is refused: the connection is closed, nothing is answered;
 *   <li>REFUSE (mTLS required and no identity yet, or inmesh failed): closed.
 * </ul>
 *
 * The mode is read when the connection's bytes arrive, so a policy change reaches new connections at
 * once; a kept-alive plain connection that outlives a PERMISSIVE → STRICT change is closed at its next
 * request by {@link MeshInboundHandler}.
 */
public final class MeshTlsDetector extends DetectorConnectionFactory {
  private final String next;

  public MeshTlsDetector(String next) {
    super(new MeshTlsConnectionFactory(next));
    this.next = next;
  }

  /** The protocol the connector spoke before the mesh came first (HTTP/1.1 as the application set it up). */
  public String next() {
    return next;
  }

  /** PeerAuthentication's answer for the connection's local port; REFUSE when it cannot be known. */
  static int mode(EndPoint endPoint) {
    SocketAddress local = endPoint.getLocalSocketAddress();
    if (!(local instanceof InetSocketAddress)) {
      return InboundTls.PLAIN; // a Unix domain socket: not a port PeerAuthentication speaks of
    }
    return Mesh.inboundTls((InetSocketAddress) local);
  }

  @Override
  public Connection newConnection(Connector connector, EndPoint endPoint) {
    if (mode(endPoint) == InboundTls.PLAIN) {
      ConnectionFactory own = connector.getConnectionFactory(next);
      if (own != null) {
        return own.newConnection(connector, endPoint);
      }
    }
    // mTLS possible or required (or refused): the first bytes are read before anything is served
    return super.newConnection(connector, endPoint);
  }

  @Override
  protected void nextProtocol(Connector connector, EndPoint endPoint, ByteBuffer buffer) {
    int mode = mode(endPoint);
    if (mode == InboundTls.EITHER || mode == InboundTls.PLAIN) {
      upgradeToConnectionFactory(connector.getConnectionFactory(next), connector, endPoint);
      return;
    }
    // STRICT (or REFUSE): plain text is refused at the connection, no byte answered
    endPoint.close();
  }
}
