package io.inmesh.instrumentation.apachehttpclient4;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.UpstreamTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.apache.http.HttpHost;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.config.Lookup;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.protocol.HttpContext;

/**
 * Mesh mTLS for HttpClient 4.5, through its own extension points: an mTLS attempt's route targets
 * its endpoint with a scheme of its own, {@code inmesh-mtls-<n>}, one per {@link UpstreamTls} (one
 * per set of server identities the mesh expects), so Apache's pool, keyed by route, keeps TLS
 * connections apart from plain ones and apart per expected identity set; while the attempt runs,
 * its context carries a socket factory registry ({@code http.socket-factory-registry}, which 4.x's
 * connection operator consults before its own) answering that scheme with this factory: a socket
 * connected and then layered with the mesh's socket factory (this workload's certificate, the mesh
 * roots, the destination's SPIFFE IDs checked instead of the host name), handshake done before a
 * byte of the request. A failed handshake is an {@link SSLHandshakeException} out of the connect
 * (a connect failure: UF). Without the registry (anything else connecting with such a route) the
 * operator finds no factory for the scheme and refuses: never plain text.
 */
final class Mesh4Tls implements ConnectionSocketFactory {
  static final String PREFIX = "inmesh-mtls-";
  static final String REGISTRY_ATTRIBUTE = "http.socket-factory-registry";
  private static final int MAX = 4096;
  private static final Map<UpstreamTls, String> SCHEMES = new IdentityHashMap<>();
  private static final Map<String, UpstreamTls> BY_SCHEME = new HashMap<>();
  private static int next;

  private final UpstreamTls tls;

  private Mesh4Tls(UpstreamTls tls) {
    this.tls = tls;
  }

  /** The route scheme of attempts that go out with {@code tls}. */
  static synchronized String scheme(UpstreamTls tls) {
    String s = SCHEMES.get(tls);
    if (s == null) {
      if (SCHEMES.size() >= MAX) {
        SCHEMES.clear();
        BY_SCHEME.clear();
      }
      s = PREFIX + ++next;
      SCHEMES.put(tls, s);
      BY_SCHEME.put(s, tls);
    }
    return s;
  }

  static boolean isMesh(String scheme) {
    return scheme != null && scheme.regionMatches(true, 0, PREFIX, 0, PREFIX.length());
  }

  private static synchronized UpstreamTls tls(String scheme) {
    return BY_SCHEME.get(scheme.toLowerCase(Locale.ROOT));
  }

  /**
   * Before an mTLS attempt (route scheme {@code meshScheme}) goes down the chain: the socket factory
   * registry the connection operator consults, and the connection state the connection is leased and
   * kept with (Apache's default marks a connection that presented a client certificate with its
   * principal, so that a new call, whose context has no state, would never reuse it). Returns what
   * to restore.
   */
  static Object[] enter(HttpClientContext context, String meshScheme) {
    if (meshScheme == null) {
      return null;
    }
    @SuppressWarnings("unchecked")
    Lookup<ConnectionSocketFactory> own = (Lookup<ConnectionSocketFactory>) context.getAttribute(REGISTRY_ATTRIBUTE);
    Object[] saved = {own, context.getUserToken()};
    context.setAttribute(REGISTRY_ATTRIBUTE, new MeshRegistry(own));
    context.setAttribute(HttpClientContext.USER_TOKEN, meshScheme);
    return saved;
  }

  static void exit(HttpClientContext context, Object[] saved) {
    if (saved == null) {
      return;
    }
    if (saved[0] == null) {
      context.removeAttribute(REGISTRY_ATTRIBUTE);
    } else {
      context.setAttribute(REGISTRY_ATTRIBUTE, saved[0]);
    }
    if (saved[1] == null) {
      context.removeAttribute(HttpClientContext.USER_TOKEN);
    } else {
      context.setAttribute(HttpClientContext.USER_TOKEN, saved[1]);
    }
  }

  /** The mesh's factory for its schemes, the application's own context registry (if any) for the rest. */
  static final class MeshRegistry implements Lookup<ConnectionSocketFactory> {
    private final Lookup<ConnectionSocketFactory> own;

    MeshRegistry(Lookup<ConnectionSocketFactory> own) {
      this.own = own;
    }

    @Override
    public ConnectionSocketFactory lookup(String name) {
      if (isMesh(name)) {
        return new Mesh4Tls(tls(name));
      }
      return own == null ? null : own.lookup(name);
    }
  }

  @Override
  public Socket createSocket(HttpContext context) {
    return new Socket();
  }

  @Override
  public Socket connectSocket(int connectTimeout, Socket socket, HttpHost host, InetSocketAddress remoteAddress, InetSocketAddress localAddress, HttpContext context)
      throws IOException {
    Socket plain = socket != null ? socket : new Socket();
    if (tls == null) {
      plain.close();
      throw new SSLHandshakeException("inmesh: the mesh TLS of this connection is no longer known; it is not made in plain text");
    }
    if (localAddress != null) {
      plain.bind(localAddress);
    }
    try {
      plain.connect(remoteAddress, connectTimeout);
    } catch (IOException e) {
      plain.close();
      throw e;
    }
    SSLSocket s;
    try {
      s = (SSLSocket) tls.socketFactory().createSocket(plain, host.getHostName(), remoteAddress.getPort(), true);
    } catch (RuntimeException e) {
      Mesh.failed("apache-httpclient-4.5-mtls", e);
      plain.close();
      SSLHandshakeException refused = new SSLHandshakeException("inmesh: mTLS failed (" + e + "); the call is not sent in plain text");
      refused.initCause(e);
      throw refused;
    }
    try {
      s.setUseClientMode(true);
      int soTimeout = s.getSoTimeout();
      if (connectTimeout > 0) {
        s.setSoTimeout(connectTimeout); // the handshake is part of connecting
      }
      s.startHandshake();
      s.setSoTimeout(soTimeout);
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
      SSLHandshakeException refused = new SSLHandshakeException("inmesh: mTLS handshake with " + remoteAddress + " failed: " + e);
      refused.initCause(e);
      throw refused;
    }
  }
}
