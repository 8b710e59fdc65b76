package io.inmesh.instrumentation.reactornetty;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.UpstreamTls;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolNegotiator;
import io.netty.handler.ssl.SslContext;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The mesh's client TLS for one set of expected server identities, as the Netty {@code SslContext}
 * Reactor Netty's {@code SslProvider} takes: every engine comes from {@link UpstreamTls#newEngine}
 * (this workload's certificate, the mesh roots, the destination's SPIFFE IDs checked in the
 * handshake), with host-name verification off (the SPIFFE ID is the check; the URL holds the
 * endpoint's IP address). Netty's {@code SslHandler} drives the JDK engine on the event loop, as it
 * does for any JDK {@code SslContext}; nothing here blocks.
 *
 * <p>An error building an engine never turns into plain text or the application's trust: the
 * engine returned instead fails its handshake, which the attempt reports as a connect failure (UF).
 */
public final class MeshSslContext extends SslContext {
  /** Which mesh TLS made each engine, so that a pooled connection can be checked before a request goes out on it. */
  private static final Map<SSLEngine, UpstreamTls> ENGINES = Collections.synchronizedMap(new WeakHashMap<>());

  private final UpstreamTls tls;
  private volatile List<String> cipherSuites = List.of();

  MeshSslContext(UpstreamTls tls) {
    this.tls = tls;
  }

  /** The mesh TLS that made {@code engine}, or null when the mesh did not make it. */
  static UpstreamTls madeBy(SSLEngine engine) {
    return engine == null ? null : ENGINES.get(engine);
  }

  @Override
  public boolean isClient() {
    return true;
  }

  @Override
  public List<String> cipherSuites() {
    return cipherSuites;
  }

  @Override
  @SuppressWarnings("deprecation")
  public ApplicationProtocolNegotiator applicationProtocolNegotiator() {
    return NoProtocols.INSTANCE;
  }

  @Override
  public SSLEngine newEngine(ByteBufAllocator alloc) {
    return newEngine(alloc, null, -1);
  }

  @Override
  public SSLEngine newEngine(ByteBufAllocator alloc, String peerHost, int peerPort) {
    try {
      SSLEngine e = tls.newEngine(peerHost, peerPort);
      SSLParameters p = e.getSSLParameters();
      p.setEndpointIdentificationAlgorithm(null); // the SPIFFE ID is checked instead
      e.setSSLParameters(p);
      if (cipherSuites.isEmpty()) {
        cipherSuites = List.of(e.getEnabledCipherSuites());
      }
      ENGINES.put(e, tls);
      return e;
    } catch (Throwable t) {
      Mesh.failed("reactor-netty-http-mtls", t);
      return Refusing.engine(peerHost, peerPort);
    }
  }

  @Override
  public SSLSessionContext sessionContext() {
    // the sessions live in the agent's SSLContext for these identities, which is not handed out
    return NoSessions.INSTANCE;
  }

  @Override
  public String toString() {
    return "inmesh " + tls;
  }

  /** No ALPN: mesh mTLS attempts are HTTP/1.1. */
  @SuppressWarnings("deprecation")
  static final class NoProtocols implements ApplicationProtocolNegotiator {
    static final NoProtocols INSTANCE = new NoProtocols();

    @Override
    public List<String> protocols() {
      return List.of();
    }
  }

  /** What {@link #sessionContext()} answers: the sessions themselves are the agent's. */
  static final class NoSessions implements SSLSessionContext {
    static final NoSessions INSTANCE = new NoSessions();

    @Override
    public SSLSession getSession(byte[] sessionId) {
      return null;
    }

    @Override
    public Enumeration<byte[]> getIds() {
      return Collections.emptyEnumeration();
    }

    @Override
    public void setSessionTimeout(int seconds) {}

    @Override
    public int getSessionTimeout() {
      return 0;
    }

    @Override
    public void setSessionCacheSize(int size) {}

    @Override
    public int getSessionCacheSize() {
      return 0;
    }
  }

  /** An engine whose handshake fails: what an error in the mesh's TLS turns into. */
  static final class Refusing implements X509TrustManager {
    static SSLEngine engine(String host, int port) {
      try {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, new TrustManager[] {new Refusing()}, null);
        SSLEngine e = c.createSSLEngine(host, port);
        e.setUseClientMode(true);
        return e;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("inmesh: mTLS unavailable");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("inmesh: mTLS unavailable");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
