package io.inmesh.instrumentation.apachehttpclient4;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.inmesh.bootstrap.UntouchedLibraries;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Meshes Apache HttpClient 4.3–4.5 (older applications, Spring 5's
 * {@code HttpComponentsClientHttpRequestFactory}) through its exec chain ({@code ClientExecChain}):
 * the mesh's element sits between the redirect and retry elements, as for 5.x. See
 * {@link ExecChainInstrumentation} for how it gets there and {@link Mesh4Call} for the attempts.
 */
public class ApacheHttpClient4InstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public ApacheHttpClient4InstrumentationModule() {
    super("inmesh-apache-httpclient", "inmesh-apache-httpclient-4.5", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** 4.0–4.2 (no exec chain) are left alone and said once, at WARN (issue 14; io.inmesh.bootstrap.UntouchedLibraries). */
  private static final UntouchedLibraries.Guard UNTOUCHED =
      UntouchedLibraries.guard("Apache HttpClient", "org.apache.http.impl.client.DefaultHttpClient", "org.apache.httpcomponents/httpclient", "4.3 to 4.5");

  /** Muzzle cannot run here: the exec chain (4.3+) and RequestBuilder.copy's 4.x home guard the range. */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("org.apache.http.impl.execchain.ClientExecChain", "org.apache.http.impl.execchain.RedirectExec", "org.apache.http.client.methods.RequestBuilder")
        .or(UNTOUCHED::leftAlone);
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(
        new ExecChainInstrumentation("org.apache.http.impl.execchain.RedirectExec"),
        new ExecChainInstrumentation("org.apache.http.impl.execchain.RetryExec"),
        new ExecChainInstrumentation("org.apache.http.impl.execchain.ServiceUnavailableRetryExec"));
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.apachehttpclient4.";
    return List.of(
        p + "Mesh4ExecChain",
        p + "Mesh4ExecChain$View",
        p + "Mesh4Call",
        p + "Mesh4Call$Headers",
        p + "Mesh4Call$Ending",
        p + "Mesh4Call$Ending$1",
        p + "RetryGates",
        p + "RetryGates$Handler",
        p + "RetryGates$Strategy",
        p + "Mesh4Tls",
        p + "Mesh4Tls$MeshRegistry");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
