package io.inmesh.instrumentation.okhttp;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.inmesh.bootstrap.UntouchedLibraries;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Meshes OkHttp 4.12 and 5.x (artifact {@code okhttp-jvm}, also Retrofit and Feign's OkHttp client
 * on top of it) with one module: both versions keep the {@code okhttp3} packages, the public
 * {@code Interceptor} API with per-call timeouts on {@code Interceptor.Chain}, and the two classes
 * hooked here.
 *
 * <p>OkHttp has an extension point that can own a whole call, so inmesh uses it instead of patching
 * internals: {@link MeshInterceptor}, an application interceptor added once to every
 * {@code OkHttpClient} (advice on the {@code OkHttpClient(Builder)} constructor, which both
 * {@code Builder.build()} and {@code new OkHttpClient()} run), takes the call's one mesh decision
 * and runs its attempts as repeated {@code chain.proceed}. Each attempt's request has the
 * endpoint's address as its URL and the logical name in its {@code Host} header, so OkHttp's
 * connection pool (keyed by URL host and port) pools per physical endpoint and two endpoints of a
 * subset share the calls. A {@code Dns} would not do: OkHttp reuses a pooled connection for the same
 * host name without asking the {@code Dns} again, so the endpoint could not change per attempt.
 *
 * <p>The one internal hook is {@code RealCall.enqueue}: OkHttp has no asynchronous interceptor, and an
 * asynchronous call reaches the interceptors on a dispatcher thread. Before the first snapshot, an
 * enqueued call to a possible mesh host is held back (not on any thread) until the snapshot is in or
 * the bounded start-up wait is over, so the start-up wait never parks a dispatcher thread.
 *
 * <p>{@code enqueue}: OkHttp runs every asynchronous call's blocking I/O on a dispatcher thread, so
 * the interceptor runs there too. An injected delay, a retry's backoff and a wait for a pending
 * connection-pool slot sleep on that thread: behind a sidecar the same thread would sit in a socket
 * read for the same time (and hold the same per-host dispatcher slot), so no thread is held longer
 * than the call itself needs; the sleeps are sliced and end at once when the call is cancelled
 * (its {@code callTimeout}). Only the start-up wait, which a sidecar would not add, is kept off the
 * dispatcher.
 *
 * <p>Not supported, and why:
 * <ul>
 *   <li>a {@code CookieJar} sees the attempt's URL, whose host is the endpoint's address: OkHttp's
 *       {@code BridgeInterceptor} loads and saves cookies by that URL below the mesh's interceptor,
 *       and 4.12 has no per-call cookie jar ({@code Chain.withCookieJar} is 5.x only);
 *   <li>an upstream's redirect to another mesh name is followed by OkHttp's own follow-up logic
 *       below the mesh's interceptor, without the mesh (the name does not resolve); redirects the
 *       mesh answers itself (HTTPRedirect) are followed and routed anew;
 *   <li>{@code https://} mesh names pass through untouched (as in the JDK adapters): the endpoint
 *       address in the URL would break OkHttp's hostname verification (the application's own TLS);
 *   <li>over mesh mTLS, {@code response.handshake().peerCertificates()} is empty: the server was
 *       verified by its SPIFFE ID in the handshake, and OkHttp's chain cleaner for it knows no roots;
 *       mesh mTLS connections speak HTTP/1.1, as the same {@code http://} call does in plain text;
 *   <li>the per-try timeout is OkHttp's read timeout for that attempt: exact while the upstream is
 *       silent before its headers, per read when it trickles bytes.
 * </ul>
 *
 * <p>Mesh mTLS ({@link io.inmesh.bootstrap.Attempt#tls()}): the application's URL stays
 * {@code http://}; the one other hook is {@code okhttp3.Address}'s constructor (public API, the same in
 * 4.12 and 5.x), which makes the address of an mTLS attempt a TLS one with the mesh's socket factory,
 * so OkHttp connects, verifies (the SPIFFE ID, in the handshake) and pools (apart from plain
 * connections, per set of expected identities) with its own logic; see {@link MeshTlsAddress} for why
 * no interceptor can do it. A refused handshake is a connect failure of the attempt (UF), never
 * plain text: the first network interceptor refuses a plain connection for an mTLS attempt.
 *
 * <p>OkHttp 3.x ({@code okhttp3.RealCall}, no {@code okhttp3.internal.connection.RealCall}) is
 * left alone.
 */
public class OkHttpInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public OkHttpInstrumentationModule() {
    super("inmesh-okhttp", "inmesh-okhttp-4.12", "inmesh");
  }

  /** Stays on when the upstream switch turns default instrumentations off. */
  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** A version the range check below refuses is left alone and said once, at WARN (issue 14; io.inmesh.bootstrap.UntouchedLibraries). */
  private static final UntouchedLibraries.Guard UNTOUCHED =
      UntouchedLibraries.guard("OkHttp", "okhttp3.OkHttpClient", "com.squareup.okhttp3/okhttp", "4.12 and 5.x");

  /** No muzzle here: the version range is guarded by classes 4.x and 5.x have and 3.x has not. */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("okhttp3.OkHttpClient", "okhttp3.internal.connection.RealCall", "okhttp3.Interceptor$Chain")
        .or(UNTOUCHED::leftAlone);
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new OkHttpClientInstrumentation(), new RealCallInstrumentation(), new AddressInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.okhttp.";
    return List.of(
        p + "MeshInterceptor",
        p + "FollowUpHostInterceptor",
        p + "AttemptTarget",
        p + "OkHttpMeshCall",
        p + "MeshRedirects",
        p + "OkHttpRequestView",
        p + "RequestHeaderSink",
        p + "PassThroughTrace",
        p + "ResponseHeaderSink",
        p + "LocalAnswers",
        p + "EndingBody",
        p + "EndingBody$EndingSource",
        p + "DeferredEnqueue",
        p + "MeshTlsAddress",
        p + "MeshTlsAddress$Kit",
        p + "MeshTlsAddress$Target",
        p + "MeshTlsAddress$SpiffeChecked",
        p + "MeshTlsAddress$NoRoots");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
