package io.inmesh.bench.mode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds an agent-shaped jar (an {@code extensions/*.jar} holding a customizer provider compiled
 * here, outside the test class path) and reads its settings the way the otel-lean mode does.
 */
class InmeshDistributionSettingsTest {

  private static final String PROVIDER = """
      package fake.distribution;
      import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
      import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
      import java.util.Map;
      public final class Defaults implements AutoConfigurationCustomizerProvider {
        @Override
        public void customize(AutoConfigurationCustomizer c) {
          c.addPropertiesSupplier(() -> Map.of(
              "otel.instrumentation.common.default-enabled", "false",
              "otel.instrumentation.java-http-client.enabled", "true",
              "otel.service.name", "whatever-the-jvm-is"));
        }
      }
      """;

  @Test
  void readsWhatTheEmbeddedExtensionSupplies(@TempDir Path dir) throws IOException {
    Path agent = agentJar(dir, true);
    Map<String, String> env = InmeshDistributionSettings.environment(agent, dir.resolve("scratch"));
    assertThat(env).containsExactlyInAnyOrderEntriesOf(Map.of(
        "OTEL_INSTRUMENTATION_COMMON_DEFAULT_ENABLED", "false",
        "OTEL_INSTRUMENTATION_JAVA_HTTP_CLIENT_ENABLED", "true"));
  }

  @Test
  void aJarWithoutAnExtensionIsAClearError(@TempDir Path dir) throws IOException {
    Path agent = agentJar(dir, false);
    assertThatThrownBy(() -> InmeshDistributionSettings.properties(agent, dir.resolve("scratch")))
        .hasMessageContaining("cannot read the OTel settings inmesh's distribution supplies from " + agent)
        .hasMessageContaining("no extensions/*.jar inside");
  }

  @Test
  void propertyNamesBecomeTheUsualEnvironmentVariables() {
    assertThat(InmeshDistributionSettings.envName("otel.java.disabled.resource.providers")).isEqualTo("OTEL_JAVA_DISABLED_RESOURCE_PROVIDERS");
    assertThat(InmeshDistributionSettings.envName("otel.instrumentation.http-url-connection.enabled")).isEqualTo("OTEL_INSTRUMENTATION_HTTP_URL_CONNECTION_ENABLED");
  }

  private static Path agentJar(Path dir, boolean withExtension) throws IOException {
    Path src = Files.createDirectories(dir.resolve("src/fake/distribution")).resolve("Defaults.java");
    Files.writeString(src, PROVIDER);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    String spi = Path.of(java.net.URI.create(AutoConfigurationCustomizerProvider.class.getProtectionDomain().getCodeSource().getLocation().toString())).toString();
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", spi, src.toString());
    assertThat(rc).isZero();
    Path extension = dir.resolve("extension.jar");
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(extension))) {
      put(jar, "fake/distribution/Defaults.class", Files.readAllBytes(classes.resolve("fake/distribution/Defaults.class")));
      put(jar, "META-INF/services/" + AutoConfigurationCustomizerProvider.class.getName(), "fake.distribution.Defaults\n".getBytes(StandardCharsets.UTF_8));
    }
    Path agent = dir.resolve(withExtension ? "agent.jar" : "bare-agent.jar");
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(agent))) {
      put(jar, "inst/placeholder.txt", new byte[0]);
      if (withExtension) {
        put(jar, "extensions/inmesh-extension.jar", Files.readAllBytes(extension));
      }
    }
    return agent;
  }

  private static void put(JarOutputStream jar, String name, byte[] bytes) throws IOException {
    jar.putNextEntry(new JarEntry(name));
    OutputStream out = jar;
    out.write(bytes);
    jar.closeEntry();
  }

}
