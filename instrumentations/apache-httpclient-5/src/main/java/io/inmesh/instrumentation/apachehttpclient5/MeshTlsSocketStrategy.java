package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.UpstreamTls;
import java.io.IOException;
import java.net.Socket;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.config.Lookup;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * The classic client's TLS for one mesh scheme ({@link MeshTlsSchemes}), through Apache's own
 * extension point since 5.4, {@link TlsSocketStrategy}: the connected socket is layered with the
 * mesh's socket factory ({@link UpstreamTls#socketFactory()}: this workload's certificate, the mesh
 * roots, the destination's SPIFFE IDs checked instead of the host name) and the handshake is done
 * before Apache writes a byte. A failed handshake is an {@link SSLHandshakeException} out of the
 * connect, which the attempt reports as a connect failure (UF); never plain text.
 *
 * <p>Only in {@link ApacheHttpClient5TlsInstrumentationModule}'s helpers (5.4+: the interface does
 * not exist before). It names {@link MeshTlsSchemes} only for mesh schemes, so that an application
 * whose client the mesh never touched keeps its https lookups as they were.
 */
public final class MeshTlsSocketStrategy implements TlsSocketStrategy {
  /** {@link MeshTlsSchemes#PREFIX}, inlined: see above. */
  private static final String PREFIX = "inmesh-mtls-";
  private final String scheme;

  MeshTlsSocketStrategy(String scheme) {
    this.scheme = scheme;
  }

  /** Wraps the TLS registry a classic connection operator is made with. */
  public static Lookup<TlsSocketStrategy> wrap(Lookup<TlsSocketStrategy> registry) {
    if (registry instanceof MeshLookup) {
      return registry;
    }
    return new MeshLookup(registry);
  }

  static final class MeshLookup implements Lookup<TlsSocketStrategy> {
    private final Lookup<TlsSocketStrategy> apache;

    MeshLookup(Lookup<TlsSocketStrategy> apache) {
      this.apache = apache;
    }

    @Override
    public TlsSocketStrategy lookup(String name) {
      if (name != null && name.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
        return new MeshTlsSocketStrategy(name);
      }
      return apache == null ? null : apache.lookup(name);
    }
  }

  @Override
  public SSLSocket upgrade(Socket socket, String target, int port, Object attachment, HttpContext context) throws IOException {
    UpstreamTls tls = MeshTlsSchemes.tls(scheme);
    if (tls == null) {
      socket.close();
      throw new SSLHandshakeException("inmesh: the mesh TLS of this connection is no longer known; it is not made in plain text");
    }
    SSLSocket s;
    try {
      s = (SSLSocket) tls.socketFactory().createSocket(socket, target, port, true);
    } catch (RuntimeException e) {
      Mesh.failed("apache-httpclient-5-mtls", e);
      socket.close();
      SSLHandshakeException refused = new SSLHandshakeException("inmesh: mTLS failed (" + e + "); the call is not sent in plain text");
      refused.initCause(e);
      throw refused;
    }
    try {
      s.setUseClientMode(true);
      s.startHandshake();
      return s;
    } catch (IOException | RuntimeException e) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closed either way
      }
      if (e instanceof SSLHandshakeException) {
        throw (SSLHandshakeException) e;
      }
      SSLHandshakeException refused = new SSLHandshakeException("inmesh: mTLS handshake with " + target + ":" + port + " failed: " + e);
      refused.initCause(e);
      throw refused;
    }
  }
}
