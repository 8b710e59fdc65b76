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
    return List.of(new HttpServerInstrumentation(), new ContextInstrumentation(), new ContextInstrumentation.ExchangeInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.jdkhttpserver.";
    return List.of(p + "MeshInboundFilter", p + "MeshInboundFilter$View", p + "ContextInstrumentation$ResponseHeaders");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
