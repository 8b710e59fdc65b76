package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.UpstreamTls;
import java.net.SocketAddress;
import java.security.Provider;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Lookup;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.io.ModalCloseable;
import org.apache.hc.core5.net.NamedEndpoint;
import org.apache.hc.core5.reactor.ssl.SSLBufferMode;
import org.apache.hc.core5.reactor.ssl.TransportSecurityLayer;
import org.apache.hc.core5.util.Timeout;

/**
 * The async client's TLS for one mesh scheme ({@link MeshTlsSchemes}), through Apache's own
 * extension point, {@link TlsStrategy}: the connection's TLS session is started with an engine from
 * {@link UpstreamTls#newEngine} (this workload's certificate, the mesh roots, the destination's
 * SPIFFE IDs checked by the trust manager instead of the host name). No ALPN is offered: the
 * connection speaks HTTP/1.1, as it would in plain text. Any error closes the connection and fails
 * it as a handshake failure (a connect failure: UF), never plain text.
 */
public final class MeshTlsStrategy implements TlsStrategy {
  private static final Provider PROVIDER = new MeshProvider();
  /** Null: the scheme is no longer known; every handshake is refused. */
  private final UpstreamTls tls;

  MeshTlsStrategy(UpstreamTls tls) {
    this.tls = tls;
  }

  /** Wraps the TLS registry a connection operator is made with (see {@link TlsOperatorInstrumentation}). */
  public static Lookup<TlsStrategy> wrap(Lookup<TlsStrategy> registry) {
    if (registry instanceof MeshLookup) {
      return registry;
    }
    return new MeshLookup(registry);
  }

  /** Apache's registry for every other scheme; the mesh's TLS for its own. */
  static final class MeshLookup implements Lookup<TlsStrategy> {
    private final Lookup<TlsStrategy> apache;

    MeshLookup(Lookup<TlsStrategy> apache) {
      this.apache = apache;
    }

    @Override
    public TlsStrategy lookup(String name) {
      if (MeshTlsSchemes.isMesh(name)) {
        return new MeshTlsStrategy(MeshTlsSchemes.tls(name));
      }
      return apache == null ? null : apache.lookup(name);
    }
  }

  @Override
  @SuppressWarnings("deprecation")
  public boolean upgrade(TransportSecurityLayer layer, HttpHost host, SocketAddress localAddress, SocketAddress remoteAddress, Object attachment, Timeout handshakeTimeout) {
    upgrade(layer, host, attachment, handshakeTimeout, null);
    return true;
  }

  @Override
  public void upgrade(TransportSecurityLayer layer, NamedEndpoint endpoint, Object attachment, Timeout handshakeTimeout, FutureCallback<TransportSecurityLayer> callback) {
    if (tls == null) {
      refuse(layer, callback, new SSLHandshakeException("inmesh: the mesh TLS of this connection is no longer known; it is not made in plain text"));
      return;
    }
    try {
      SSLContext context = new EngineContext(tls);
      if (callback != null) {
        layer.startTls(context, endpoint, SSLBufferMode.STATIC, null, null, handshakeTimeout, callback);
      } else {
        layer.startTls(context, endpoint, SSLBufferMode.STATIC, null, null, handshakeTimeout);
      }
    } catch (RuntimeException e) {
      Mesh.failed("apache-httpclient-5-mtls", e);
      SSLHandshakeException refused = new SSLHandshakeException("inmesh: mTLS failed (" + e + "); the call is not sent in plain text");
      refused.initCause(e);
      refuse(layer, callback, refused);
    }
  }

  private static void refuse(TransportSecurityLayer layer, FutureCallback<TransportSecurityLayer> callback, SSLHandshakeException e) {
    if (layer instanceof ModalCloseable) {
      ((ModalCloseable) layer).close(CloseMode.IMMEDIATE);
    }
    if (callback != null) {
      callback.failed(e);
    }
  }

  /**
   * An {@code SSLContext} whose engines are the mesh's: Apache's TLS session makes its engine with
   * {@code createSSLEngine(host, port)}, and {@link UpstreamTls} hands out engines, not a context.
   */
  static final class EngineContext extends SSLContext {
    EngineContext(UpstreamTls tls) {
      super(new Spi(tls), PROVIDER, "TLS");
    }
  }

  static final class Spi extends SSLContextSpi {
    private final UpstreamTls tls;

    Spi(UpstreamTls tls) {
      this.tls = tls;
    }

    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
      throw new UnsupportedOperationException("inmesh: the mesh TLS is initialised by the mesh");
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return tls.socketFactory();
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      throw new UnsupportedOperationException("inmesh: client side only");
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      return tls.newEngine(null, -1);
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      return tls.newEngine(host, port);
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return null;
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return null;
    }
  }

  static final class MeshProvider extends Provider {
    private static final long serialVersionUID = 1L;

    MeshProvider() {
      super("inmesh-mtls", "1.0", "inmesh: the mesh's client TLS for Apache HttpClient");
    }
  }
}
