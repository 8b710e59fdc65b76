package io.inmesh.instrumentation.apachehttpclient5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.UpstreamTls;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.function.Function;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocketFactory;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Lookup;
import org.apache.hc.core5.http.config.RegistryBuilder;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;
import org.junit.jupiter.api.Test;

/**
 * How an mTLS attempt is kept apart inside Apache: its route (Apache's pool key) differs from the
 * plain route to the same endpoint, and between expected identity sets; the operators' TLS
 * registries answer the mesh's schemes with the mesh's TLS and every other scheme as before; a mesh
 * scheme the mesh no longer knows is refused, never connected in plain text.
 */
class MeshTlsRoutesTest {
  static final HttpRoute APP = new HttpRoute(new HttpHost("http", "usuario-service", 80));

  static UpstreamTls tls(String name) {
    return new UpstreamTls() {
      @Override
      public SSLEngine newEngine(String peerHost, int port) {
        throw new UnsupportedOperationException();
      }

      @Override
      public SSLSocketFactory socketFactory() {
        throw new UnsupportedOperationException();
      }

      @Override
      public String expected() {
        return name;
      }
    };
  }

  static Attempt attempt(InetSocketAddress address, UpstreamTls tls) {
    return new Attempt() {
      @Override
      public InetSocketAddress address() {
        return address;
      }

      @Override
      public UpstreamTls tls() {
        return tls;
      }

      @Override
      public boolean isLocalReply() {
        return false;
      }

      @Override
      public String localReplyPath() {
        return null;
      }

      @Override
      public String localReplyToken() {
        return null;
      }

      @Override
      public long deadlineNanos() {
        return 0;
      }

      @Override
      public long timeoutMillis() {
        return 0;
      }

      @Override
      public int connectTimeoutMillis() {
        return 0;
      }

      @Override
      public int onResponse(int status, Function<String, String> header) {
        return DELIVER;
      }

      @Override
      public int onFailure(Throwable failure, boolean timedOut, boolean requestSent) {
        return FAIL;
      }

      @Override
      public long backoffNanos() {
        return 0;
      }

      @Override
      public void onEnd() {}
    };
  }

  @Test
  void mtlsRoutesArePooledApartFromPlainOnesAndPerExpectedIdentities() {
    InetSocketAddress endpoint = new InetSocketAddress("127.0.0.11", 8080);
    UpstreamTls a = tls("[a]");
    UpstreamTls b = tls("[b]");
    HttpRoute plain = Attempts.route(attempt(endpoint, null), APP);
    HttpRoute mtlsA = Attempts.route(attempt(endpoint, a), APP);
    HttpRoute mtlsA2 = Attempts.route(attempt(endpoint, a), APP);
    HttpRoute mtlsB = Attempts.route(attempt(endpoint, b), APP);
    assertThat(plain.getTargetHost().getSchemeName()).isEqualTo("http");
    assertThat(Attempts.meshScheme(plain)).isNull();
    assertThat(mtlsA).isNotEqualTo(plain).isEqualTo(mtlsA2).isNotEqualTo(mtlsB);
    assertThat(Attempts.meshScheme(mtlsA)).startsWith(MeshTlsSchemes.PREFIX);
    assertThat(MeshTlsSchemes.tls(Attempts.meshScheme(mtlsB))).isSameAs(b);
    // the same endpoint, the same port, named by its address; the route stays "not secure" (the URL is http://)
    assertThat(mtlsA.getTargetHost().getPort()).isEqualTo(8080);
    assertThat(mtlsA.getTargetHost().getAddress().getHostAddress()).isEqualTo("127.0.0.11");
    assertThat(mtlsA.isSecure()).isFalse();
  }

  @Test
  void theClassicRegistryAnswersMeshSchemesWithTheMeshAndRefusesAnUnknownOne() throws Exception {
    TlsSocketStrategy https = DefaultClientTlsStrategy.createDefault();
    Lookup<TlsSocketStrategy> wrapped = MeshTlsSocketStrategy.wrap(RegistryBuilder.<TlsSocketStrategy>create().register("https", https).build());
    assertThat(MeshTlsSocketStrategy.wrap(wrapped)).isSameAs(wrapped);
    assertThat(wrapped.lookup("https")).isSameAs(https);
    assertThat(wrapped.lookup("http")).isNull();
    TlsSocketStrategy unknown = wrapped.lookup("inmesh-mtls-999999");
    assertThat(unknown).isInstanceOf(MeshTlsSocketStrategy.class);
    Socket socket = new Socket();
    assertThatThrownBy(() -> unknown.upgrade(socket, "127.0.0.1", 1, null, null)).isInstanceOf(SSLHandshakeException.class);
    assertThat(socket.isClosed()).as("never left for plain text").isTrue();
  }

  @Test
  void theGuardRefusesAPlainConnectionForAnMtlsAttemptOnly() {
    org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection plain =
        new org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection(org.apache.hc.core5.http.config.Http1Config.DEFAULT);
    org.apache.hc.client5.http.protocol.HttpClientContext context = org.apache.hc.client5.http.protocol.HttpClientContext.create();
    assertThat(MeshTlsGuard.refusal(plain, context)).as("not an mTLS attempt: Apache's own business").isNull();
    context.setAttribute(Attempts.MTLS_ATTRIBUTE, "[spiffe://cluster.local/ns/default/sa/b]");
    assertThat(MeshTlsGuard.refusal(plain, context)).isInstanceOf(SSLHandshakeException.class).hasMessageContaining("not sent in plain text");
  }

  @Test
  void theAsyncRegistryAnswersMeshSchemesWithTheMesh() {
    Lookup<TlsStrategy> wrapped = MeshTlsStrategy.wrap(RegistryBuilder.<TlsStrategy>create().build());
    assertThat(wrapped.lookup("https")).isNull();
    assertThat(wrapped.lookup("INMESH-MTLS-7")).isInstanceOf(MeshTlsStrategy.class);
  }
}
