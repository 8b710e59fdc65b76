package io.inmesh.instrumentation.javahttpclient;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.UpstreamTls;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import jdk.internal.net.http.HttpRequestImpl;

/**
 * Mesh mTLS for the JDK client, with the client's own TLS machinery: an attempt that must go out
 * over mTLS ({@link io.inmesh.bootstrap.Attempt#tls()}) makes its request copy report itself
 * secure, so the client opens (and pools, per endpoint) a TLS connection for an {@code http://} URL;
 * while that connection is made ({@code HttpConnection.getConnection}) the engine comes from the
 * mesh (this workload's certificate, the mesh roots, the destination's SPIFFE IDs) instead of the
 * application's {@code SSLContext}. The ALPN and SNI the client asked for are kept; host-name
 * verification is replaced by the SPIFFE ID check.
 */
public final class TlsOrigination {
  private static final ThreadLocal<UpstreamTls> CONNECTING = new ThreadLocal<>();
  /** Which mesh TLS (expected identities) made each engine: a pooled connection is reused only for the same. */
  private static final java.util.Map<SSLEngine, UpstreamTls> ENGINES =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
  private static volatile java.lang.reflect.Method getEngine;
  private static volatile java.lang.reflect.Method close;
  private static volatile Class<?> sslConnection;

  private TlsOrigination() {}

  /** True when {@code request} belongs to an attempt that goes out over mesh mTLS. */
  public static boolean meshTls(HttpRequestImpl request) {
    return RequestAttempts.tls(request) != null;
  }

  /** A connection for {@code request} is about to be made on this thread; returns what to restore. */
  public static UpstreamTls connecting(HttpRequestImpl request) {
    // set(null), never remove(): get() on a thread without the entry inserts one (setInitialValue),
    // and removing it again after every connect attempt cleared a Reference and scanned the
    // thread's map on each request (issue 13); the entry now stays, holding null when idle
    UpstreamTls previous = CONNECTING.get();
    UpstreamTls tls = request == null ? null : RequestAttempts.tls(request);
    if (tls != null || previous != null) {
      CONNECTING.set(tls);
    }
    return previous;
  }

  public static void connected(UpstreamTls previous) {
    CONNECTING.set(previous);
  }

  /** The engine for the connection being made, or null when it is not a mesh mTLS connection. Never throws. */
  public static SSLEngine engine(String peerHost, int port, SSLParameters asked) {
    UpstreamTls tls = CONNECTING.get();
    if (tls == null) {
      return null;
    }
    try {
      SSLEngine e = tls.newEngine(peerHost, port);
      SSLParameters p = e.getSSLParameters();
      if (asked != null) {
        if (asked.getApplicationProtocols() != null) {
          p.setApplicationProtocols(asked.getApplicationProtocols());
        }
        if (asked.getServerNames() != null && !asked.getServerNames().isEmpty()) { // else the mesh's own (DestinationRule sni)
          p.setServerNames(asked.getServerNames());
        }
      }
      p.setEndpointIdentificationAlgorithm(null); // the SPIFFE ID is checked instead
      e.setSSLParameters(p);
      ENGINES.put(e, tls);
      return e;
    } catch (Throwable t) {
      Mesh.failed("java-http-client-mtls", t);
      return refusing(peerHost, port); // never plain text, never the application's trust
    }
  }

  /**
   * The pool offers {@code connection} for the connection being made: an mTLS attempt takes only a
   * connection the mesh made for the same expected identities (a policy or registry change may have
   * changed them since; the application's own https connections never qualify). Anything else is
   * closed and a new connection made. Never throws.
   */
  public static Object pooled(Object connection) {
    UpstreamTls tls = CONNECTING.get();
    if (tls == null || connection == null) {
      return connection;
    }
    try {
      if (getEngine == null) {
        Class<?> c = Class.forName("jdk.internal.net.http.AbstractAsyncSSLConnection", false, connection.getClass().getClassLoader());
        java.lang.reflect.Method m = c.getDeclaredMethod("getEngine");
        m.setAccessible(true);
        java.lang.reflect.Method cl = Class.forName("jdk.internal.net.http.HttpConnection", false, c.getClassLoader()).getDeclaredMethod("close");
        cl.setAccessible(true);
        sslConnection = c;
        close = cl;
        getEngine = m;
      }
      if (sslConnection.isInstance(connection) && ENGINES.get((SSLEngine) getEngine.invoke(connection)) == tls) {
        return connection;
      }
      close.invoke(connection);
    } catch (Throwable t) {
      Mesh.failed("java-http-client-mtls", t);
    }
    return null;
  }

  /** An engine whose handshake fails: what an error in the mesh's TLS turns into. */
  private static SSLEngine refusing(String host, int port) {
    try {
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(null, new TrustManager[] {new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
          throw new java.security.cert.CertificateException("inmesh: mTLS unavailable");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
          throw new java.security.cert.CertificateException("inmesh: mTLS unavailable");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      }}, null);
      SSLEngine e = c.createSSLEngine(host, port);
      e.setUseClientMode(true);
      return e;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
