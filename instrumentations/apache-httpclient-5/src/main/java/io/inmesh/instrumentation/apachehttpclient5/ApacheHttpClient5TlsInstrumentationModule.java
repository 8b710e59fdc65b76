package io.inmesh.instrumentation.apachehttpclient5;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Mesh mTLS for Apache HttpClient 5's classic client, 5.4 and later: the TLS socket strategy the
 * connection operator looks up by scheme (see {@link TlsOperatorInstrumentation} and
 * {@link MeshTlsSocketStrategy}). A module of its own because its helper implements
 * {@code TlsSocketStrategy}, which does not exist before 5.4: before 5.4 an mTLS attempt of the
 * classic client finds no socket factory for its scheme and fails to connect (never plain text).
 * {@link MeshTlsGuard} refuses to write an mTLS attempt's request on a plain connection, should a
 * connection manager's operator not take Apache's TLS registry.
 * The async client's TLS, and the attempts' routes, are in {@link ApacheHttpClient5InstrumentationModule}.
 */
public class ApacheHttpClient5TlsInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public ApacheHttpClient5TlsInstrumentationModule() {
    super("inmesh-apache-httpclient", "inmesh-apache-httpclient-5", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed(
        "org.apache.hc.client5.http.ssl.TlsSocketStrategy",
        "org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new TlsOperatorInstrumentation(false), new RequestExecutorGuardInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.apachehttpclient5.";
    return List.of(p + "MeshTlsSocketStrategy", p + "MeshTlsSocketStrategy$MeshLookup", p + "MeshTlsGuard");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
