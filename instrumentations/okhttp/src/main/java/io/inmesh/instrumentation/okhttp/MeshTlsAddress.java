package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.UpstreamTls;
import java.io.IOException;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.CertificatePinner;
import okhttp3.Connection;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;

/**
 * Mesh mTLS for OkHttp: an attempt that must go out over mTLS ({@link io.inmesh.bootstrap.Attempt#tls()})
 * keeps its {@code http://} URL, and the {@code okhttp3.Address} OkHttp makes for it (one per call
 * and follow-up, on the calling thread) is made a TLS address instead: the mesh's socket factory
 * (this workload's certificate, the mesh roots, the destination's SPIFFE IDs, checked during the
 * handshake), a host-name verifier that leaves the check to that SPIFFE ID check (the host is an
 * endpoint's IP, meaningless for a SPIFFE certificate), HTTP/1.1 (what the same call speaks in plain
 * text), and the TLS versions and cipher suites of the mesh's context.
 *
 * <p>Why the {@code Address} constructor: OkHttp chooses TLS per address, from the URL's scheme and
 * the client's one {@code SSLSocketFactory}; an interceptor can change neither per attempt on 4.12
 * (5.4+'s {@code Chain.withSslSocketFactory} still needs an {@code https} URL). OkHttp's connection
 * pool is keyed by the whole address, so this one change also pools mesh mTLS connections apart from
 * plain ones and per set of expected identities (one socket factory per {@link UpstreamTls}), with
 * OkHttp's own connect, handshake and reuse logic. The constructor's signature is public API and the
 * same in 4.12 and every 5.x (which build the address in {@code RealCall}, {@code OkHttpClient} or
 * {@code RealInterceptorChain} depending on the version).
 *
 * <p>Fails closed: should the address not become a TLS one, {@link #check} (OkHttp's first network
 * interceptor, after the connection is made and before any byte of the request is written) refuses a
 * plain connection for an mTLS attempt, as a handshake failure.
 */
public final class MeshTlsAddress {
  private static final ThreadLocal<Target> CONNECTING = new ThreadLocal<>();
  private static final Map<UpstreamTls, Kit> KITS = new ConcurrentHashMap<>();
  private static final List<Protocol> HTTP_1_1 = List.of(Protocol.HTTP_1_1);
  /** The mesh context decides the TLS versions (1.3, else 1.2) and cipher suites; OkHttp keeps them. */
  private static final List<ConnectionSpec> MESH_SPEC =
      List.of(new ConnectionSpec.Builder(ConnectionSpec.MODERN_TLS).allEnabledTlsVersions().allEnabledCipherSuites().build());
  private static volatile CertificatePinner pinner;

  private MeshTlsAddress() {}

  /** What OkHttp needs for TLS connections that expect the identities of one {@link UpstreamTls}. */
  static final class Kit {
    final SSLSocketFactory factory;
    final String expected;

    Kit(SSLSocketFactory factory, String expected) {
      this.factory = factory;
      this.expected = expected;
    }
  }

  /** The attempt this thread is connecting, while its {@code chain.proceed} runs. */
  static final class Target {
    final String host;
    final int port;
    final Kit kit;

    Target(String host, int port, Kit kit) {
      this.host = host;
      this.port = port;
      this.kit = kit;
    }
  }

  /**
   * The kit for {@code tls}, one per {@link UpstreamTls} (the engine keeps one per set of expected
   * identities), so that OkHttp's pool, which compares socket factories, reuses a connection only
   * for the identities its handshake verified.
   */
  static Kit kit(UpstreamTls tls) throws SSLHandshakeException {
    Kit k = KITS.get(tls);
    if (k != null) {
      return k;
    }
    try {
      if (KITS.size() > 256) {
        KITS.clear(); // bounded: identity sets come from policy and the registry
      }
      k = KITS.computeIfAbsent(tls, t -> new Kit(t.socketFactory(), t.expected()));
      pinner(k.factory);
      return k;
    } catch (RuntimeException | Error e) {
      Mesh.failed("okhttp-mtls", e);
      throw refused("inmesh: mTLS could not be set up (" + e + "); the call is not sent in plain text", e);
    }
  }

  /** Before {@code chain.proceed} of an mTLS attempt: the addresses OkHttp makes for this host and port are TLS ones. */
  static Target connecting(HttpUrl url, Kit kit) {
    Target previous = CONNECTING.get();
    CONNECTING.set(new Target(url.host(), url.port(), kit));
    return previous;
  }

  static void done(Target previous) {
    if (previous == null) {
      CONNECTING.remove();
    } else {
      CONNECTING.set(previous);
    }
  }

  /**
   * {@code Address(uriHost, uriPort, dns, socketFactory, sslSocketFactory, hostnameVerifier,
   * certificatePinner, proxyAuthenticator, proxy, protocols, connectionSpecs, proxySelector)}, on
   * entry: the values of arguments 4, 5, 6, 9 and 10 to construct it with (unchanged but for the
   * mTLS attempt this thread is connecting). Never throws.
   */
  public static Object[] arguments(String uriHost, int uriPort, Object sslSocketFactory, Object hostnameVerifier, Object certificatePinner,
      Object protocols, Object connectionSpecs) {
    Target t = CONNECTING.get();
    if (t == null || sslSocketFactory != null || t.port != uriPort || !t.host.equals(uriHost)) {
      return new Object[] {sslSocketFactory, hostnameVerifier, certificatePinner, protocols, connectionSpecs};
    }
    CertificatePinner p = pinner;
    if (p == null) {
      // cannot happen (made with the kit); the plain address is then refused by check()
      return new Object[] {sslSocketFactory, hostnameVerifier, certificatePinner, protocols, connectionSpecs};
    }
    return new Object[] {t.kit.factory, SpiffeChecked.INSTANCE, p, HTTP_1_1, MESH_SPEC};
  }

  /**
   * In OkHttp's first network interceptor: a request of an mTLS attempt (to the attempt's endpoint)
   * goes out only on a connection that made its handshake with the attempt's mesh socket factory.
   * Anything else is closed and refused before a byte is written. Never plain text.
   */
  static void check(Connection connection, AttemptTarget target) throws IOException {
    Kit kit = target.kit;
    boolean ok;
    try {
      ok = connection != null && connection.handshake() != null && connection.route().address().sslSocketFactory() == kit.factory;
    } catch (RuntimeException | LinkageError e) {
      ok = false;
    }
    if (ok) {
      return;
    }
    if (connection != null) {
      try {
        Socket s = connection.socket();
        s.close();
      } catch (Throwable ignored) {
        // refused either way
      }
    }
    throw refused("inmesh: this attempt needs mTLS (expecting " + kit.expected + ") and its connection is not; it is not sent in plain text", null);
  }

  /**
   * A handshake failure: OkHttp does not retry it on another connection (its cause is a
   * {@code CertificateException}), and the engine counts it as a connect failure (flag UF).
   */
  static SSLHandshakeException refused(String message, Throwable cause) {
    SSLHandshakeException e = new SSLHandshakeException(message);
    CertificateException c = new CertificateException(message);
    if (cause != null) {
      c.initCause(cause);
    }
    e.initCause(c);
    return e;
  }

  /**
   * A pinner with no pins, with a chain cleaner as OkHttp's own pinners have (the response's
   * {@code Handshake} computes its peer certificates through it, lazily). The cleaner knows no
   * roots, so {@code handshake().peerCertificates()} is empty for mesh mTLS; the peer was verified
   * by its SPIFFE ID during the handshake.
   */
  private static void pinner(SSLSocketFactory any) {
    if (pinner == null) {
      synchronized (MeshTlsAddress.class) {
        if (pinner == null) {
          pinner = new OkHttpClient.Builder().sslSocketFactory(any, NoRoots.INSTANCE).build().certificatePinner();
        }
      }
    }
  }

  /** The host name is an endpoint's address: the server's SPIFFE ID was checked in the handshake instead (secure naming). */
  public static final class SpiffeChecked implements HostnameVerifier {
    static final SpiffeChecked INSTANCE = new SpiffeChecked();

    private SpiffeChecked() {}

    @Override
    public boolean verify(String hostname, SSLSession session) {
      return true;
    }
  }

  /** Only for the pinner's chain cleaner; never asked to trust anything (the mesh's trust manager does that). */
  public static final class NoRoots implements X509TrustManager {
    static final NoRoots INSTANCE = new NoRoots();

    private NoRoots() {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("inmesh: not a trust manager");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("inmesh: not a trust manager");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
