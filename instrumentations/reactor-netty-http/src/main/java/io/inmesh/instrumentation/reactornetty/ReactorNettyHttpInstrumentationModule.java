package io.inmesh.instrumentation.reactornetty;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.inmesh.bootstrap.UntouchedLibraries;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Meshes the Reactor Netty {@code HttpClient} (reactor-netty-http 1.2.x and 1.3.x), bare and under
 * Spring's {@code WebClient} ({@code ReactorClientHttpConnector}, Spring Boot 3.5's default).
 *
 * <p>Where it hooks, and why there:
 *
 * <ul>
 *   <li>{@code HttpClientConnect.connect()} — the one method every request of the client goes
 *       through ({@code response()}, {@code responseSingle}, {@code responseConnection},
 *       {@code responseContent}; WebClient uses {@code responseConnection}). Reactor Netty has no
 *       public hook that runs before the connection pool is chosen: {@code doOnRequest} fires once
 *       a pooled connection is already acquired, and {@code remoteAddress(Supplier)} is ignored for
 *       absolute URLs (the pool key is the URL's host), so neither can pick an endpoint per attempt.
 *       The call is therefore taken over here, and each attempt is an ordinary request made through
 *       the client's own public API: the same client with the endpoint's address in the URL (so the
 *       pool — keyed by remote address — is per endpoint, and two endpoints of a subset share the
 *       calls), the logical name in the {@code Host} header, the route's header edits through
 *       {@code headers(..)}. Everything else (pool, codecs, the application's own options and
 *       observers, OpenTelemetry's tracing of each attempt) stays Reactor Netty's. An attempt the
 *       mesh sends over mTLS ({@code Attempt.tls()}) goes to {@code https://<endpoint>} through
 *       {@code secure(SslProvider)} with the mesh's {@code SslContext}, so Reactor Netty makes the
 *       handshake on the event loop and pools TLS connections apart, per endpoint and per expected
 *       server identity ({@link ReactorTlsOrigination}).</li>
 *   <li>{@code ExchangeFunctions.DefaultExchangeFunction.exchange(ClientRequest)} in spring-webflux
 *       — WebClient writes its headers onto the Reactor Netty request only inside the send callback,
 *       after the connection is acquired, too late for a routing decision on headers. The advice
 *       puts a copy of the {@code ClientRequest}'s headers into the Reactor context of the exchange,
 *       where the decision reads them. It takes no decision itself: a WebClient call gets exactly one
 *       mesh decision, at the Reactor Netty layer.</li>
 *   <li>{@code ReactorClientHttpRequest.executeInternal} (RestClient/RestTemplate over Spring's
 *       {@code ReactorClientHttpRequestFactory}) — the same problem, solved with a thread-local, as
 *       that request assembles its Reactor Netty request on the calling thread.</li>
 * </ul>
 *
 * <p>Not covered (yet), and why:
 *
 * <ul>
 *   <li>headers a bare {@code HttpClient} request sets only inside its {@code send(..)} function or in
 *       {@code doOnRequest} are written after the connection is acquired, so header-match rules do
 *       not see them (those set with {@code headers(..)}, and WebClient's, are seen);</li>
 *   <li>a route's header operation on a header WebClient itself writes loses to WebClient's value
 *       (WebClient writes its headers after the client's configured ones);</li>
 *   <li>mirrors get copies of body-less requests only: the body exists only as the application's
 *       send function, run against a connection;</li>
 *   <li>an application's own {@code https} URL, proxied requests, WebSockets and a URL given as
 *       {@code uri(Mono)} pass through untouched;</li>
 *   <li>redirects Reactor Netty follows itself ({@code followRedirect}) stay on the attempt's
 *       endpoint for a relative {@code Location}; an absolute one to a mesh name is not meshed.</li>
 * </ul>
 */
public class ReactorNettyHttpInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public ReactorNettyHttpInstrumentationModule() {
    super("inmesh-reactor-netty-http", "inmesh-reactor-netty", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** A version the range check below refuses is left alone and said once, at WARN (issue 14; io.inmesh.bootstrap.UntouchedLibraries). */
  private static final UntouchedLibraries.Guard UNTOUCHED =
      UntouchedLibraries.guard("Reactor Netty HttpClient", "reactor.netty.http.client.HttpClient", "io.projectreactor.netty/reactor-netty-http", "1.2.x and 1.3.x");

  /**
   * Muzzle's build-time checks are a Gradle plugin we cannot use, so the version range is guarded
   * here: the client's request finalizer plus {@code Http3SettingsSpec}, which 1.2.0 is the first
   * to ship. Older lines are left alone.
   */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed(
        "reactor.netty.http.client.HttpClientFinalizer",
        "reactor.netty.http.Http3SettingsSpec",
        "reactor.core.publisher.Mono")
        .or(UNTOUCHED::leftAlone);
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new HttpClientConnectInstrumentation(), new WebClientExchangeInstrumentation(), new RestClientRequestInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.reactornetty.";
    return List.of(
        p + "ReactorMeshCall",
        p + "ReactorMeshCall$Failed",
        p + "ReactorRequestView",
        p + "NettyHeaderSink",
        p + "PassThroughTrace",
        p + "WebClientHeaders",
        p + "ReactorTlsOrigination",
        p + "MeshSslContext",
        p + "MeshSslContext$NoProtocols",
        p + "MeshSslContext$NoSessions",
        p + "MeshSslContext$Refusing");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
