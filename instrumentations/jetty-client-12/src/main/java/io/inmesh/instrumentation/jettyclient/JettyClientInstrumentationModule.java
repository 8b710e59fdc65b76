package io.inmesh.instrumentation.jettyclient;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.inmesh.bootstrap.UntouchedLibraries;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Meshes Jetty's {@code org.eclipse.jetty.client.HttpClient} 12 ({@code newRequest(..).send()},
 * {@code send(listener)} and everything built on them: {@code InputStreamResponseListener},
 * {@code CompletableResponseListener}, Spring's {@code JettyClientHttpRequestFactory}).
 *
 * <p>What is hooked, and why. Jetty's extension points do not reach far enough: a request listener
 * or a {@code ContentDecoder} runs after the request has picked its destination, and a destination
 * (Jetty's connection pool) is chosen by the request's {@code Origin} (scheme, host, port, tag),
 * once per request; Jetty never re-sends a request to another destination. So the one hook is the
 * entry every send goes through, {@code HttpRequest.send(Response.CompleteListener)} (the blocking
 * {@code send()} calls it too): for a call to a mesh name it takes the call's one mesh decision and
 * runs its attempts with Jetty's own public API. Each attempt is a new request of the same client
 * (its own conversation, so Jetty's protocol handlers, redirects and authentication, stay inside one
 * attempt) addressed to the attempt's endpoint ({@code http://ip:port/path}) with the logical name
 * in its {@code Host} header, which Jetty keeps. Jetty pools per origin, so its pools are per
 * physical endpoint and two endpoints of one subset share the calls. The response of the delivered
 * attempt goes to the application's listeners (the ones on its request and the one it passed to
 * {@code send}), with the application's own request in the {@code Result}. The second hook,
 * {@code HttpRequest.abort(Throwable)}, forwards the application's abort to the attempt in flight.
 *
 * <p>Mesh mTLS (auto mTLS, DestinationRule DISABLE / ISTIO_MUTUAL): an attempt that must go over
 * mTLS keeps its {@code http://} URI and gets {@link MeshTlsTransport}, Jetty's per-request
 * {@code Transport}, so Jetty pools its connections apart from plain ones and per expected identity
 * set, and makes the handshake with the mesh's engine (the server's SPIFFE ID checked); a refused
 * server is a connect failure (503 UF), never plain text. HTTP/1.1 (what Jetty's default transport
 * speaks to an {@code http://} URI).
 *
 * <p>Nothing parks a Jetty thread: the bounded start-up wait, an injected delay, a retry's backoff
 * and a wait for a connection-pool slot are stages and timers ({@code HttpClient.getScheduler()}).
 *
 * <p>Not supported, and why:
 * <ul>
 *   <li>{@code https://} mesh names and requests through a configured proxy pass through untouched
 *       (the application's own TLS and proxy), as in the other adapters;
 *   <li>listeners the application put on its request for the request's own events
 *       ({@code onRequestBegin}, {@code onRequestCommit}...) are not called: the attempts are other
 *       requests (the client's own {@code getRequestListeners()} see every attempt);
 *   <li>the client's {@code CookieStore} and a relative redirect see the attempt's URI, whose host is
 *       the endpoint's address; {@code response.getRequest()} is the attempt's request too (the
 *       {@code Result} carries the application's);
 *   <li>the route's connect timeout: Jetty has one per client, not per request.
 * </ul>
 */
public class JettyClientInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public JettyClientInstrumentationModule() {
    super("inmesh-jetty-client", "inmesh-jetty-client-12", "inmesh");
  }

  /** Stays on when the upstream switch turns default instrumentations off. */
  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** A version the range check below refuses is left alone and said once, at WARN (issue 14; io.inmesh.bootstrap.UntouchedLibraries). */
  private static final UntouchedLibraries.Guard UNTOUCHED =
      UntouchedLibraries.guard("Jetty HttpClient", "org.eclipse.jetty.client.HttpClient", "org.eclipse.jetty/jetty-client", "12.x");

  /** Jetty 12's client (9.x-11.x have {@code org.eclipse.jetty.client.HttpRequest}, left alone). */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("org.eclipse.jetty.client.transport.HttpRequest", "org.eclipse.jetty.client.transport.ResponseListeners", "org.eclipse.jetty.client.Result")
        .or(UNTOUCHED::leftAlone);
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new HttpRequestInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.jettyclient.";
    return List.of(p + "JettyMeshCall", p + "JettyMeshCall$AttemptListener", p + "JettyRequestView", p + "FieldsSink", p + "MeshTlsTransport",
        p + "MeshTlsTransport$MeshSslContextFactory");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
