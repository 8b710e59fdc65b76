package io.inmesh.instrumentation.jettyclient;

import io.inmesh.bootstrap.UpstreamTls;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.io.ssl.SslClientConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Mesh mTLS for Jetty's {@code HttpClient}, through Jetty's own per-request {@code Transport}
 * ({@code Request.transport}): an attempt that must go out over mTLS keeps its {@code http://} URI
 * (the endpoint's address) and gets this transport, TCP/IP whose every connection is wrapped in
 * Jetty's {@code SslClientConnectionFactory} with an engine from the mesh ({@link UpstreamTls}: this
 * workload's certificate, the mesh roots, the SPIFFE IDs the destination may present, checked in the
 * handshake). Jetty keys its destinations (connection pools) by origin, transport included, so mTLS
 * connections are pooled apart from plain ones and per set of expected identities (one transport per
 * {@link UpstreamTls}, which the engine keeps one per set), with Jetty's own connect, handshake (on its
 * selector, no thread parked) and reuse.
 *
 * <p>The wrapping is done in {@link #newConnection}, which Jetty calls for every connection of a
 * destination with this transport (12.0 and 12.1), before a byte is written: should anything go wrong
 * there the connection fails (a handshake failure, UF), never plain text. The host name is the
 * endpoint's address, meaningless to a SPIFFE certificate: no host-name verification, the SPIFFE ID
 * check of the handshake is the check (secure naming).
 */
public final class MeshTlsTransport extends Transport.Wrapper {
  private static final Map<UpstreamTls, MeshTlsTransport> TRANSPORTS = new ConcurrentHashMap<>();

  private final UpstreamTls tls;
  private final MeshSslContextFactory sslContextFactory;

  private MeshTlsTransport(UpstreamTls tls) {
    super(Transport.TCP_IP);
    this.tls = tls;
    this.sslContextFactory = new MeshSslContextFactory(tls);
  }

  /** The transport for {@code tls}'s identities (one per {@link UpstreamTls}, so Jetty pools per identity set). */
  static MeshTlsTransport of(UpstreamTls tls) {
    MeshTlsTransport t = TRANSPORTS.get(tls);
    if (t != null) {
      return t;
    }
    if (TRANSPORTS.size() > 256) {
      TRANSPORTS.clear(); // bounded: identity sets come from policy and the registry
    }
    return TRANSPORTS.computeIfAbsent(tls, MeshTlsTransport::new);
  }

  @Override
  public Connection newConnection(EndPoint endPoint, Map<String, Object> context) throws IOException {
    try {
      ClientConnectionFactory plain = (ClientConnectionFactory) context.get(ClientConnectionFactory.CONTEXT_KEY);
      HttpClient client = (HttpClient) context.get(HttpClient.class.getName());
      if (plain == null || client == null) {
        throw new IllegalStateException("Jetty's connection context lacks " + (plain == null ? "the connection factory" : "the client"));
      }
      SslClientConnectionFactory ssl = new SslClientConnectionFactory(sslContextFactory, client.getByteBufferPool(), client.getExecutor(), plain);
      return ssl.newConnection(endPoint, context);
    } catch (IOException | RuntimeException | LinkageError e) {
      endPoint.close(e);
      SSLHandshakeException refused = new SSLHandshakeException("inmesh: mTLS could not be set up (" + e + "); the call is not sent in plain text");
      refused.initCause(e);
      throw refused;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MeshTlsTransport && ((MeshTlsTransport) o).tls == tls;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(tls);
  }

  @Override
  public String toString() {
    return "inmesh " + tls;
  }

  /**
   * What {@code SslClientConnectionFactory} asks for an engine: the mesh's, for the endpoint's address
   * and port ({@code SslEngineFactory}, Jetty's hook for it). Never started as a Jetty
   * {@code SslContextFactory} (it has no key store of its own); no host-name verifier.
   */
  static final class MeshSslContextFactory extends SslContextFactory.Client implements SslClientConnectionFactory.SslEngineFactory {
    private final UpstreamTls tls;

    MeshSslContextFactory(UpstreamTls tls) {
      this.tls = tls;
      setHostnameVerifier(null);
    }

    @Override
    public SSLEngine newSslEngine(String host, int port, Map<String, Object> context) {
      return tls.newEngine(host, port);
    }

    @Override
    public SSLEngine newSSLEngine(String host, int port) {
      return tls.newEngine(host, port);
    }
  }
}
