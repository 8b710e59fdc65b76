package io.inmesh.instrumentation.httpurlconnection;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import java.util.Map;
import net.bytebuddy.utility.JavaModule;

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
    return List.of(new HttpUrlConnectionInstrumentation(), new NetHttpClientInstrumentation(), new StreamingOutputInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.httpurlconnection.";
    return List.of(
        p + "UrlConnectionCall",
        p + "UrlConnectionLifecycle",
        p + "UrlConnectionLifecycle$MessageHeaderSink",
        p + "UrlConnectionLifecycle$View",
        p + "UrlConnectionTls");
  }

  /** Muzzle's build-time scan would find these; without it they are declared here. */
  @Override
  public void registerVirtualFields(java.util.function.BiConsumer<String, String> register) {
    register.accept("sun.net.www.protocol.http.HttpURLConnection", "io.inmesh.instrumentation.httpurlconnection.UrlConnectionCall");
    register.accept("sun.net.www.protocol.http.HttpURLConnection", "java.lang.Boolean");
    register.accept("sun.net.www.http.HttpClient", "io.inmesh.instrumentation.httpurlconnection.UrlConnectionCall");
    register.accept("sun.net.www.http.HttpClient", "io.inmesh.bootstrap.UpstreamTls");
    register.accept("sun.net.www.http.HttpClient", "io.inmesh.bootstrap.ConnectionUse");
  }

  /** The helpers use the JDK's http: internals, which java.base does not export. */
  @Override
  public Map<JavaModule, List<String>> jpmsModulesToOpen() {
    return Map.of(
        JavaModule.ofType(Object.class),
        List.of("sun.net.www", "sun.net.www.http", "sun.net.www.protocol.http", "sun.net"));
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
