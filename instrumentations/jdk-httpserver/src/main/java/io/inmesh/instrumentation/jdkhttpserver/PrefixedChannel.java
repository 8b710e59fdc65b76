package io.inmesh.instrumentation.jdkhttpserver;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * A connection's channel with the bytes read to tell TLS from plain text put back in front: the
 * JDK server's own streams (its {@code SSLStreams} for mTLS, its request streams for plain text) read
 * through it and never notice the peek. Only the streams use it; the server keeps selecting on the
 * real channel, and closing this closes the real one.
 */
public final class PrefixedChannel extends SocketChannel {
  private final SocketChannel real;
  private final ByteBuffer prefix;

  public PrefixedChannel(SocketChannel real, ByteBuffer prefix) {
    super(real.provider());
    this.real = real;
    this.prefix = prefix;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (prefix.hasRemaining()) {
      int n = 0;
      while (prefix.hasRemaining() && dst.hasRemaining()) {
        dst.put(prefix.get());
        n++;
      }
      return n;
    }
    return real.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    if (prefix.hasRemaining()) {
      for (int i = offset; i < offset + length; i++) {
        if (dsts[i].hasRemaining()) {
          return read(dsts[i]);
        }
      }
      return 0;
    }
    return real.read(dsts, offset, length);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return real.write(src);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return real.write(srcs, offset, length);
  }

  @Override
  public SocketChannel bind(SocketAddress local) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
    real.setOption(name, value);
    return this;
  }

  @Override
  public <T> T getOption(SocketOption<T> name) throws IOException {
    return real.getOption(name);
  }

  @Override
  public Set<SocketOption<?>> supportedOptions() {
    return real.supportedOptions();
  }

  @Override
  public SocketChannel shutdownInput() throws IOException {
    real.shutdownInput();
    return this;
  }

  @Override
  public SocketChannel shutdownOutput() throws IOException {
    real.shutdownOutput();
    return this;
  }

  /**
   * The JDK's {@code SSLStreams} asks the socket for the peer's address and then its host name; the
   * answer is the peer's IP literal, so no TLS connection waits on a reverse DNS lookup.
   */
  @Override
  public Socket socket() {
    Socket s = real.socket();
    java.net.InetSocketAddress remote = (java.net.InetSocketAddress) s.getRemoteSocketAddress();
    if (remote == null || remote.getAddress() == null) {
      return s;
    }
    try {
      java.net.InetAddress literal = java.net.InetAddress.getByAddress(remote.getAddress().getHostAddress(), remote.getAddress().getAddress());
      java.net.InetSocketAddress named = new java.net.InetSocketAddress(literal, remote.getPort());
      return new Socket() {
        @Override
        public SocketAddress getRemoteSocketAddress() {
          return named;
        }

        @Override
        public java.net.InetAddress getInetAddress() {
          return literal;
        }

        @Override
        public int getPort() {
          return named.getPort();
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
          return s.getLocalSocketAddress();
        }
      };
    } catch (java.net.UnknownHostException e) {
      return s;
    }
  }

  @Override
  public boolean isConnected() {
    return real.isConnected();
  }

  @Override
  public boolean isConnectionPending() {
    return false;
  }

  @Override
  public boolean connect(SocketAddress remote) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean finishConnect() {
    return true;
  }

  @Override
  public SocketAddress getRemoteAddress() throws IOException {
    return real.getRemoteAddress();
  }

  @Override
  public SocketAddress getLocalAddress() throws IOException {
    return real.getLocalAddress();
  }

  @Override
  protected void implCloseSelectableChannel() throws IOException {
    real.close();
  }

  @Override
  protected void implConfigureBlocking(boolean block) {
    // only the streams use this channel, and they use it blocking, as the server set the real one
  }
}
