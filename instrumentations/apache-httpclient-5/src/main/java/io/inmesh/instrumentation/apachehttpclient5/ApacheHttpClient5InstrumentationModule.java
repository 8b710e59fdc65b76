package io.inmesh.instrumentation.apachehttpclient5;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.inmesh.bootstrap.UntouchedLibraries;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Meshes Apache HttpClient 5 — the classic client (what Spring 6+'s
 * {@code HttpComponentsClientHttpRequestFactory} uses under RestTemplate and RestClient) and the
 * async client (HTTP/1.1 and HTTP/2 builders) — through Apache's own extension point, the exec
 * chain: no internals are hooked. The builders' {@code customizeExecChain} hook puts one handler
 * above Apache's retry element, which owns the logical call (one decision, one attempt per try with
 * its endpoint as the route's target, timeouts, faults, local answers); see {@link MeshExecChains}
 * and {@link Attempts} for where and why.
 *
 * <p>Mesh mTLS ({@code Attempt.tls()}): an mTLS attempt's route carries a scheme of its own
 * ({@link MeshTlsSchemes}), so its connections are made with the mesh's TLS and pooled apart, per
 * expected identity set; the async client's TLS strategy is here ({@link MeshTlsStrategy}), the
 * classic client's (5.4+) in {@link ApacheHttpClient5TlsInstrumentationModule}.
 *
 * <p>Range: 5.1 and later (the builders' {@code customizeExecChain} and the async scope's scheduler
 * constructor); shown with 5.5 (Spring Boot 3.5's). Clients made without a
 * builder ({@code HttpClients.createMinimal()}, {@code MinimalHttpAsyncClient}) have no exec chain
 * and are not meshed.
 */
public class ApacheHttpClient5InstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public ApacheHttpClient5InstrumentationModule() {
    super("inmesh-apache-httpclient", "inmesh-apache-httpclient-5", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** A version the range check below refuses is left alone and said once, at WARN (issue 14; io.inmesh.bootstrap.UntouchedLibraries). */
  private static final UntouchedLibraries.Guard UNTOUCHED =
      UntouchedLibraries.guard("Apache HttpClient", "org.apache.hc.client5.http.impl.classic.HttpClientBuilder", "org.apache.httpcomponents.client5/httpclient5", "5.1 and later");

  /** Muzzle cannot run here: the range is guarded by classes of httpclient5 5.1+ (the async chain's Scheduler) and core5's NamedElementChain. */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed(
        "org.apache.hc.client5.http.classic.ExecChainHandler",
        "org.apache.hc.client5.http.async.AsyncExecChain$Scheduler",
        "org.apache.hc.core5.http.config.NamedElementChain")
        .or(UNTOUCHED::leftAlone);
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new ExecChainInstrumentation(false), new ExecChainInstrumentation(true), new TlsOperatorInstrumentation(true));
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.apachehttpclient5.";
    return List.of(
        p + "ApacheRequestView",
        p + "MessageHeaders",
        p + "Attempts",
        p + "MeshExecChains",
        p + "ClassicMeshHandler",
        p + "ClassicMeshCall",
        p + "ClassicRetryGate",
        p + "EndingEntity",
        p + "EndingEntity$1",
        p + "AsyncMeshHandler",
        p + "AsyncMeshCall",
        p + "AsyncMeshCall$AttemptCallback",
        p + "AsyncRetryGate",
        p + "MeshTlsSchemes",
        p + "MeshTlsStrategy",
        p + "MeshTlsStrategy$MeshLookup",
        p + "MeshTlsStrategy$EngineContext",
        p + "MeshTlsStrategy$Spi",
        p + "MeshTlsStrategy$MeshProvider");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
