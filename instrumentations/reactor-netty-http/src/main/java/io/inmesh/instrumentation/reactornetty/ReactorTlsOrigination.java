package io.inmesh.instrumentation.reactornetty;

import io.inmesh.bootstrap.UpstreamTls;
import io.netty.handler.ssl.SslHandler;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLHandshakeException;
import reactor.netty.Connection;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientRequest;
import reactor.netty.tcp.SslProvider;

/**
 * Mesh mTLS for a Reactor Netty attempt ({@link io.inmesh.bootstrap.Attempt#tls()}), with the
 * client's own TLS machinery: the attempt's request goes to {@code https://<endpoint>} through
 * {@code HttpClient.secure(SslProvider)}, the provider's {@code SslContext} being the mesh's
 * ({@link MeshSslContext}). The application's URL stays {@code http://}; only the attempt's copy of
 * the client changes.
 *
 * <p>Why this way: Reactor Netty keys its connection pools by remote address and the client's
 * {@code channelHash()}, which includes the {@code SslProvider}. One provider per mesh TLS (one per
 * set of expected server identities, as the agent keeps one {@code UpstreamTls} per set) therefore
 * gives TLS connections their own pool per endpoint and per expected identity, apart from plain ones
 * and from the application's own {@code https} connections; Reactor Netty hands out a TLS
 * connection only once its handshake succeeded, and reports a failed one as the acquisition's
 * error ({@code SSLHandshakeException}), before any of the request is written. As a second lock,
 * {@link #check} refuses to send on a connection whose engine the same mesh TLS did not make.
 *
 * <p>Mesh mTLS attempts use HTTP/1.1 (the application's {@code H2C} or {@code H2} settings are for
 * its own connections; the mesh's servers take HTTP/1.1 over mTLS). A redirect Reactor Netty follows
 * itself ({@code followRedirect}, off by default) stays on the attempt's endpoint over mTLS for a
 * relative {@code Location}; one to an absolute {@code http://} URL on another host is refused by
 * {@link #check} rather than sent in plain text from an mTLS attempt.
 */
public final class ReactorTlsOrigination {
  private static final Map<UpstreamTls, SslProvider> PROVIDERS = new ConcurrentHashMap<>();

  private ReactorTlsOrigination() {}

  /** The attempt's client, secured with the mesh TLS {@code tls}. */
  static HttpClient secure(HttpClient client, UpstreamTls tls) {
    SslProvider provider = PROVIDERS.get(tls);
    if (provider == null) {
      if (PROVIDERS.size() > 1024) {
        PROVIDERS.clear(); // bounded: the agent keeps one UpstreamTls per set of identities, and bounds those too
      }
      provider = PROVIDERS.computeIfAbsent(tls, t -> SslProvider.builder().sslContext(new MeshSslContext(t)).build());
    }
    HttpClient secured = client.secure(provider);
    HttpProtocol[] protocols = secured.configuration().protocols();
    if (protocols.length != 1 || protocols[0] != HttpProtocol.HTTP11) {
      secured = secured.protocol(HttpProtocol.HTTP11);
    }
    UpstreamTls expected = tls;
    return secured.doOnRequest((request, connection) -> check(request, connection, expected));
  }

  /**
   * Just before the request is written: the connection must be TLS made by the same mesh TLS
   * (same expected identities). Anything else is not written to: Reactor Netty turns the exception
   * into the attempt's failure (a connect failure: nothing was sent) and, the connection being marked
   * non-persistent, closes it instead of pooling it again.
   */
  static void check(HttpClientRequest request, Connection connection, UpstreamTls expected) {
    SslHandler ssl = connection.channel().pipeline().get(SslHandler.class);
    if (ssl != null && MeshSslContext.madeBy(ssl.engine()) == expected) {
      return;
    }
    connection.markPersistent(false);
    throw new IllegalStateException(new SSLHandshakeException(
        "inmesh: the connection offered for an mTLS attempt is not the mesh's mTLS for " + expected.expected() + "; not sent"));
  }
}
