package io.inmesh.instrumentation.httpurlconnection;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;

/**
 * Meshes {@code java.net.HttpURLConnection} (the JDK's http: handler), which is what Spring's
 * {@code new RestTemplate()} / {@code SimpleClientHttpRequestFactory} and many SDKs use.
 */
public class HttpUrlConnectionInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public HttpUrlConnectionInstrumentationModule() {
    super("inmesh-http-url-connection", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new HttpUrlConnectionInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    return List.of(
        "io.inmesh.instrumentation.httpurlconnection.UrlConnectionRouting",
        "io.inmesh.instrumentation.httpurlconnection.UrlConnectionRouting$View");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
