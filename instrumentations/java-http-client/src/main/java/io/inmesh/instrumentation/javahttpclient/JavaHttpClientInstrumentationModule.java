package io.inmesh.instrumentation.javahttpclient;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Map;
import net.bytebuddy.utility.JavaModule;

/**
 * Meshes {@code java.net.http.HttpClient} (send and sendAsync, and Spring's RestTemplate/RestClient
 * when they use the JDK client). The JDK client has no interceptor API, so inmesh hooks the two
 * places that matter inside it: where a call starts (the client's private {@code sendAsync}, which
 * both {@code send} and {@code sendAsync} use: the call lifecycle takes over there) and where the
 * connection pool key is computed ({@code HttpRequestImpl.getAddress()}: the attempt's endpoint),
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
    return List.of(
        new HttpClientImplInstrumentation(),
        new HttpRequestImplInstrumentation(),
        new HttpConnectionInstrumentation(),
        new ConnectionPoolInstrumentation(),
        new ExchangeInstrumentation(),
        new TlsInstrumentation.Secure(),
        new TlsInstrumentation.Connect(),
        new TlsInstrumentation.Pool(),
        new TlsInstrumentation.Engine());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.javahttpclient.";
    return List.of(
        p + "JdkRequestView",
        p + "JdkMeshCall",
        p + "JdkMeshCall$1",
        p + "AttemptRequest",
        p + "AttemptRequest$Edits",
        p + "AttemptHandler",
        p + "AttemptHandler$1",
        p + "AttemptHandler$Ending",
        p + "MeshResponse",
        p + "RequestAttempts",
        p + "RequestAttempts$PassThroughHeaders",
        p + "JdkConnections",
        p + "TlsOrigination",
        p + "TlsOrigination$1");
  }

  /** Muzzle's build-time scan would find it; without it it is declared here. */
  @Override
  public void registerVirtualFields(java.util.function.BiConsumer<String, String> register) {
    register.accept("jdk.internal.net.http.HttpRequestImpl", "io.inmesh.bootstrap.Attempt");
  }

  /** The helpers use the client's internal request type, which java.net.http does not export. */
  @Override
  public Map<JavaModule, List<String>> jpmsModulesToOpen() {
    return Map.of(JavaModule.ofType(HttpClient.class), List.of("jdk.internal.net.http"));
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
