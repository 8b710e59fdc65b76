package io.inmesh.instrumentation.tomcat;

import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.Mesh;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.NioEndpoint;
import org.apache.tomcat.util.net.SecureNioChannel;
import org.apache.tomcat.util.net.SocketWrapperBase;

/**
 * Gives a new connection of Tomcat's NIO connector a {@link MeshNioChannel} when PeerAuthentication
 * asks for mTLS on its port, as the connection is registered with the poller
 * ({@code NioEndpoint.Poller.register}): Tomcat has set the connection up by then (channel, wrapper,
 * socket options) and nothing has read from it or selected on it yet, so the channel the wrapper
 * serves with can still be chosen. The connector's own choice ({@code NioChannel}, or
 * {@code SecureNioChannel} when the application configured TLS itself) is made per connector in
 * {@code NioEndpoint.setSocketOptions}, which has no hook for a per-connection choice; so the wrapper's
 * channel is replaced here through {@code SocketWrapperBase.reset}, the method Tomcat itself uses to
 * swap a wrapper's channel (for its closed placeholder), by reflection (it is protected).
 *
 * <p>A {@code MeshNioChannel} goes back to Tomcat's channel cache when its connection closes, and
 * decides afresh for the next connection that reuses it (plain text when PeerAuthentication no longer
 * asks for mTLS). A connector the application made TLS itself is left alone: its TLS, not the mesh's.
 * If the swap fails on a port that needs mTLS, the connection is closed: security fails closed.
 */
public final class MtlsConnections {
  private static volatile Method reset;
  private static volatile Method endpoint;

  private MtlsConnections() {}

  /** Called as {@code wrapper}'s new connection is registered with the poller; never throws. */
  public static void onRegister(Object wrapper) {
    if (!(wrapper instanceof NioEndpoint.NioSocketWrapper w)) {
      return;
    }
    NioChannel channel = w.getSocket();
    if (channel instanceof MeshNioChannel || channel instanceof SecureNioChannel || channel == null) {
      return; // already the mesh's (it decides per connection), or the application's own TLS
    }
    SocketChannel sc = channel.getIOChannel();
    int mode = InboundTls.PLAIN;
    try {
      SocketAddress local = sc == null ? null : sc.getLocalAddress();
      if (!(local instanceof InetSocketAddress a)) {
        return; // a Unix domain socket: not a port PeerAuthentication speaks of
      }
      mode = Mesh.inboundTls(a);
      if (mode == InboundTls.PLAIN) {
        return; // the common case without mTLS: Tomcat's own channel, untouched
      }
      NioEndpoint owner = (NioEndpoint) endpointMethod().invoke(w);
      MeshNioChannel mesh = new MeshNioChannel(channel.getBufHandler(), owner);
      mesh.reset(sc, w);
      resetMethod().invoke(w, mesh);
    } catch (Throwable t) {
      if (mode != InboundTls.PLAIN) {
        try {
          sc.close(); // never served in plain text on a port that needs mTLS
        } catch (Throwable ignored) {
          // closed or closing: nothing is served either way
        }
      }
      Mesh.failed("tomcat-mtls", t);
    }
  }

  private static Method resetMethod() throws NoSuchMethodException {
    Method m = reset;
    if (m == null) {
      m = SocketWrapperBase.class.getDeclaredMethod("reset", Object.class);
      m.setAccessible(true);
      reset = m;
    }
    return m;
  }

  private static Method endpointMethod() throws NoSuchMethodException {
    Method m = endpoint;
    if (m == null) {
      m = SocketWrapperBase.class.getDeclaredMethod("getEndpoint");
      m.setAccessible(true);
      endpoint = m;
    }
    return m;
  }
}
