package io.inmesh.agent.extension;

import io.inmesh.launcher.Settings;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The distribution's defaults, applied beneath the user's own OTEL_* settings (which always win):
 * trace context propagates as with the upstream agent, but nothing is exported until the user
 * configures an exporter (so an unconfigured application logs no export failures); and only the
 * upstream instrumentations a mesh needs are on (HTTP clients and servers, executors, reactive
 * context), for a lean startup. {@code OTEL_INSTRUMENTATION_COMMON_DEFAULT_ENABLED=true} turns every
 * upstream instrumentation back on, {@code OTEL_INSTRUMENTATION_<NAME>_ENABLED=true} one of them.
 */
public final class InmeshDefaults implements AutoConfigurationCustomizerProvider {

  /** Upstream instrumentations a mesh needs: HTTP clients/servers, executors, reactive context. */
  public static final List<String> MESH_INSTRUMENTATIONS =
      List.of(
          "java-http-client",
          "http-url-connection",
          "java-http-server",
          "tomcat",
          "servlet",
          "jetty",
          "undertow",
          "netty",
          "reactor-netty",
          "reactor",
          "rxjava",
          "kotlinx-coroutines",
          "executors",
          "spring-web",
          "spring-webmvc",
          "spring-webflux",
          "okhttp",
          "apache-httpclient",
          "apache-httpasyncclient",
          "jetty-httpclient",
          "vertx-web",
          "vertx-http-client",
          "grpc",
          "opentelemetry-api",
          "opentelemetry-instrumentation-annotations");

  @Override
  public void customize(AutoConfigurationCustomizer customizer) {
    customizer.addPropertiesSupplier(InmeshDefaults::defaults);
  }

  static Map<String, String> defaults() {
    Map<String, String> d = new HashMap<>();
    d.put("otel.traces.exporter", "none");
    d.put("otel.metrics.exporter", "none");
    d.put("otel.logs.exporter", "none");
    d.put("otel.instrumentation.common.default-enabled", "false");
    for (String name : MESH_INSTRUMENTATIONS) {
      d.put("otel.instrumentation." + name + ".enabled", "true");
    }
    try {
      d.put("otel.service.name", Settings.get().service);
    } catch (RuntimeException ignored) {
      // keep OpenTelemetry's own default
    }
    return d;
  }
}
