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

  /**
   * Resource detectors that cost startup time (cloud metadata clients, jar/manifest/Spring Boot
   * service-name detection, which inmesh's own service name makes moot) and add nothing to a mesh.
   * The cloud ones are opt-in upstream anyway. Host, OS, process, runtime, container and the
   * service instance id stay. Users can still set OTEL_JAVA_DISABLED_RESOURCE_PROVIDERS.
   */
  public static final List<String> SKIPPED_RESOURCE_PROVIDERS =
      List.of(
          "io.opentelemetry.instrumentation.resources.JarServiceNameDetector",
          "io.opentelemetry.instrumentation.resources.ManifestResourceProvider",
          "io.opentelemetry.instrumentation.spring.resources.SpringBootServiceNameDetector",
          "io.opentelemetry.instrumentation.spring.resources.SpringBootServiceVersionDetector",
          "io.opentelemetry.contrib.azure.resource.AzureAppServiceResourceProvider",
          "io.opentelemetry.contrib.azure.resource.AzureFunctionsResourceProvider",
          "io.opentelemetry.contrib.azure.resource.AzureVmResourceProvider",
          "io.opentelemetry.contrib.aws.resource.BeanstalkResourceProvider",
          "io.opentelemetry.contrib.aws.resource.Ec2ResourceProvider",
          "io.opentelemetry.contrib.aws.resource.EcsResourceProvider",
          "io.opentelemetry.contrib.aws.resource.EksResourceProvider",
          "io.opentelemetry.contrib.aws.resource.LambdaResourceProvider",
          "io.opentelemetry.contrib.gcp.resource.GCPResourceProvider",
          "io.opentelemetry.contrib.cloudfoundry.resources.CloudFoundryResourceProvider");

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
    d.put("otel.java.disabled.resource.providers", String.join(",", SKIPPED_RESOURCE_PROVIDERS));
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
