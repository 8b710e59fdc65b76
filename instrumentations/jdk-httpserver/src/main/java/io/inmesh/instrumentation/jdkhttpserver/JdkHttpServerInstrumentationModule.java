package io.inmesh.instrumentation.jdkhttpserver;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;

/** Meshes the JDK's {@code com.sun.net.httpserver} server: registration of its bound address and the inbound stage. */
public class JdkHttpServerInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public JdkHttpServerInstrumentationModule() {
    super("inmesh-jdk-httpserver", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(
        new HttpServerInstrumentation(),
        new ContextInstrumentation(),
        new ContextInstrumentation.ExchangeInstrumentation(),
        new ConnectionInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.jdkhttpserver.";
    return List.of(
        p + "MeshInboundFilter",
        p + "MeshInboundFilter$View",
        p + "ContextInstrumentation$ResponseHeaders",
        p + "MeshExchange",
        p + "MtlsConnections",
        p + "MtlsConnections$Handles",
        p + "PrefixedChannel",
        p + "PrefixedChannel$1");
  }

  /** mTLS on a plain server uses the server's own package-private connection classes ({@link MtlsConnections}). */
  @Override
  public java.util.Map<net.bytebuddy.utility.JavaModule, List<String>> jpmsModulesToOpen() {
    return java.util.Map.of(
        net.bytebuddy.utility.JavaModule.ofType(com.sun.net.httpserver.HttpServer.class), List.of("sun.net.httpserver"));
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
