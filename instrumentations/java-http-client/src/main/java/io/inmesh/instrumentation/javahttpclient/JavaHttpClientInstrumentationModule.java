package io.inmesh.instrumentation.javahttpclient;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;

/**
 * Meshes {@code java.net.http.HttpClient} (send and sendAsync, and Spring's RestTemplate/RestClient
 * when they use the JDK client). The JDK client has no interceptor API, so inmesh hooks the two
 * places that matter inside it: where a user request becomes an exchange request (the per-call
 * decision: route, split) and where the connection pool key is computed (the per-attempt endpoint),
 * so pooling stays per physical endpoint while the Host header and {@code response.uri()} keep the
 * logical name.
 */
public class JavaHttpClientInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public JavaHttpClientInstrumentationModule() {
    super("inmesh-java-http-client", "inmesh");
  }

  /** Stays on when the upstream switch turns default instrumentations off. */
  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new HttpRequestImplInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    return List.of("io.inmesh.instrumentation.javahttpclient.JdkRequestView");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
