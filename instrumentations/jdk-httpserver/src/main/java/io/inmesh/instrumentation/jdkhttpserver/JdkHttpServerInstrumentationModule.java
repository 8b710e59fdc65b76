package io.inmesh.instrumentation.jdkhttpserver;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;

/** Meshes the JDK's {@code com.sun.net.httpserver} server: registration of its bound address. */
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
    return List.of(new HttpServerInstrumentation());
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
