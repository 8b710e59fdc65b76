package io.inmesh.instrumentation.reactornettyserver;

import io.inmesh.bootstrap.Mesh;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ServerChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** A bound Reactor Netty server channel as a mesh listener: registered once bound, deregistered when disposed or closed. */
public final class ServerListeners {
  static final String LIBRARY = "reactor-netty";

  private ServerListeners() {}

  /** The server channel is bound: its actual address and port are registered; its close deregisters it. */
  public static void bound(Channel channel) {
    try {
      if (!(channel instanceof ServerChannel)) {
        return; // HTTP/3's datagram channel: a UDP port the mesh's HTTP clients cannot call
      }
      SocketAddress a = channel.localAddress();
      if (!(a instanceof InetSocketAddress) || ((InetSocketAddress) a).getPort() <= 0) {
        return; // a Unix domain socket, or not bound after all
      }
      InetSocketAddress bound = (InetSocketAddress) a;
      Mesh.serverStarted(LIBRARY, bound);
      channel.closeFuture().addListener(new Deregister(bound));
    } catch (Throwable t) {
      Mesh.failed("reactor-netty-server", t);
    }
  }

  /** {@code dispose()}: deregistered before the channel closes, so callers stop picking it first. */
  public static void disposed(Channel channel) {
    try {
      if (!(channel instanceof ServerChannel)) {
        return;
      }
      SocketAddress a = channel.localAddress();
      if (a instanceof InetSocketAddress && ((InetSocketAddress) a).getPort() > 0) {
        Mesh.serverStopped(LIBRARY, (InetSocketAddress) a);
      }
    } catch (Throwable t) {
      Mesh.failed("reactor-netty-server", t);
    }
  }

  /** Deregisters the listener when its channel closes (the address is kept: a closed channel may no longer say it). */
  static final class Deregister implements ChannelFutureListener {
    private final InetSocketAddress bound;

    Deregister(InetSocketAddress bound) {
      this.bound = bound;
    }

    @Override
    public void operationComplete(ChannelFuture future) {
      Mesh.serverStopped(LIBRARY, bound);
    }
  }
}
