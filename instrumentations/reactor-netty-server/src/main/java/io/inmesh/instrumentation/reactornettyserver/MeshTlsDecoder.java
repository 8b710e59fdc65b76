package io.inmesh.instrumentation.reactornettyserver;

import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.Mesh;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * PeerAuthentication (https://istio.io/latest/docs/reference/config/security/peer_authentication/)
 * on a connection Reactor Netty's {@code HttpServer} accepted, decided as the JDK server and Tomcat
 * adapters decide it, in Netty's own way: first in the channel's pipeline, it waits for the
 * connection's first byte. A TLS handshake record (0x16) on a port that takes mTLS gets Netty's
 * {@code SslHandler} in its place, with an engine over this workload's mesh certificate and the mesh
 * roots, client certificates required (the bytes read so far go on to it); anything else is plain
 * text, handed on to the HTTP codec when the port is PERMISSIVE, and refused (the connection closed,
 * nothing answered) when it is STRICT. Everything runs on the channel's event loop and nothing
 * blocks (Netty drives the JDK engine as for any {@code SslHandler}).
 *
 * <p>The application still sees plain {@code http}, as behind an Istio sidecar; the peer certificate
 * is read from this handler's {@code SslHandler} ({@link #meshPeer}) and reaches the application as
 * {@code X-Forwarded-Client-Cert} ({@link MeshInboundHandler}). Anything going wrong closes the
 * connection: security fails closed.
 */
public final class MeshTlsDecoder extends ByteToMessageDecoder {
  /** The name of this handler, first in the pipeline until the first byte decides. */
  static final String NAME = "inmesh.peerAuthentication";
  /** The name of the {@code SslHandler} that terminates mesh mTLS. */
  static final String TLS_NAME = "inmesh.mtls";

  private final InetSocketAddress local;

  private MeshTlsDecoder(InetSocketAddress local) {
    this.local = local;
  }

  /**
   * A connection just accepted: nothing to do when the port is plain text now (a later STRICT is
   * enforced per request by {@link MeshInboundHandler}) or when the application serves TLS itself;
   * otherwise the decision waits for the first byte, in front of everything else.
   */
  public static void install(Channel channel) {
    int mode = InboundTls.PLAIN;
    try {
      if (!(channel.parent() instanceof ServerChannel)) {
        return; // an HTTP/2 stream: its connection was decided
      }
      ChannelPipeline pipeline = channel.pipeline();
      if (pipeline.get(SslHandler.class) != null) {
        return; // the application's own TLS (secure(..)): left alone, as the other adapters do
      }
      SocketAddress a = channel.localAddress();
      if (!(a instanceof InetSocketAddress)) {
        return;
      }
      mode = Mesh.inboundTls((InetSocketAddress) a);
      if (mode == InboundTls.PLAIN || pipeline.get(NAME) != null) {
        return;
      }
      pipeline.addFirst(NAME, new MeshTlsDecoder((InetSocketAddress) a));
    } catch (Throwable t) {
      Mesh.failed("reactor-netty-server-mtls", t);
      if (mode != InboundTls.PLAIN) {
        channel.close(); // mTLS was asked for and could not be set up: never plain text
      }
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!in.isReadable()) {
      return;
    }
    try {
      int mode = Mesh.inboundTls(local);
      boolean tls = in.getUnsignedByte(in.readerIndex()) == InboundTls.TLS_HANDSHAKE_RECORD;
      if (mode == InboundTls.PLAIN || (mode == InboundTls.EITHER && !tls)) {
        ctx.pipeline().remove(this); // plain text: what was read goes on to the HTTP codec
        return;
      }
      if (!tls || (mode != InboundTls.EITHER && mode != InboundTls.MTLS_ONLY)) {
        refuse(ctx, in); // STRICT and plain text, or REFUSE (mTLS required, no identity yet)
        return;
      }
      SSLContext context = Mesh.inboundSslContext();
      if (context == null) {
        refuse(ctx, in);
        return;
      }
      SSLEngine engine = context.createSSLEngine();
      Mesh.configureInboundEngine(engine);
      // the SslHandler takes this handler's place; the bytes read so far are handed on to it
      ctx.pipeline().replace(this, TLS_NAME, new SslHandler(engine));
    } catch (Throwable t) {
      Mesh.failed("reactor-netty-server-mtls", t);
      refuse(ctx, in);
    }
  }

  private static void refuse(ChannelHandlerContext ctx, ByteBuf in) {
    in.skipBytes(in.readableBytes());
    ctx.close();
  }

  /** The connection the request came on carries mesh mTLS (this adapter's {@code SslHandler}). */
  static SslHandler meshTls(Channel channel) {
    for (Channel c = channel; c != null; c = c.parent()) {
      if (c instanceof ServerChannel) {
        return null;
      }
      Object h = c.pipeline().get(TLS_NAME);
      if (h instanceof SslHandler) {
        return (SslHandler) h;
      }
    }
    return null;
  }

  /** The application's own TLS on the connection (an {@code SslHandler} that is not the mesh's). */
  static boolean applicationTls(Channel channel) {
    for (Channel c = channel; c != null && !(c instanceof ServerChannel); c = c.parent()) {
      SslHandler h = c.pipeline().get(SslHandler.class);
      if (h != null && c.pipeline().get(TLS_NAME) != h) {
        return true;
      }
    }
    return false;
  }

  /** The verified peer chain of the connection's mesh mTLS session, or null (plain text, or not verified). */
  static Certificate[] meshPeer(Channel channel) {
    SslHandler h = meshTls(channel);
    if (h == null || !h.handshakeFuture().isSuccess()) {
      return null;
    }
    try {
      Certificate[] chain = h.engine().getSession().getPeerCertificates();
      return chain == null || chain.length == 0 ? null : chain;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
