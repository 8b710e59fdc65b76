package io.inmesh.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class LauncherTest {

  @Test
  void entryPointsAreJava8BytecodeSoOldJvmsCanLoadThemAndDecline() throws Exception {
    for (Class<?> c : new Class<?>[] {InmeshAgent.class, Main.class, Settings.class, Versions.class}) {
      try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class");
          DataInputStream data = new DataInputStream(in)) {
        assertThat(data.readInt()).isEqualTo(0xCAFEBABE);
        data.readUnsignedShort(); // minor
        assertThat(data.readUnsignedShort()).as(c.getName() + " class file major version").isEqualTo(52);
      }
    }
  }

  @Test
  void versionsAreTheBuildsFilteredIn() {
    assertThat(Versions.INMESH).matches("\\d+\\.\\d+\\.\\d+.*");
    assertThat(Versions.OTEL_AGENT).matches("\\d+\\.\\d+\\.\\d+.*");
  }

  @Test
  void theExtensionsCopyIsAlwaysANewFileNeverAnExistingOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.io.File a = LeanLauncher.newPrivateFile(dir.toFile(), "inmesh-extension-", ".jar");
    java.nio.file.Files.write(a.toPath(), new byte[] {1, 2, 3});
    java.io.File b = LeanLauncher.newPrivateFile(dir.toFile(), "inmesh-extension-", ".jar");
    assertThat(a).exists().isNotEqualTo(b);
    assertThat(b).exists().isEmpty();
    assertThat(java.nio.file.Files.readAllBytes(a.toPath())).containsExactly(1, 2, 3);
    assertThat(a.getName()).startsWith("inmesh-extension-").endsWith(".jar");
  }

  @Test
  void javaVersionsOlderThan17AreRefusedWithAClearMessage() {
    assertThat(InmeshAgent.featureVersion("1.8")).isEqualTo(8);
    assertThat(InmeshAgent.featureVersion("11")).isEqualTo(11);
    assertThat(InmeshAgent.featureVersion("17")).isEqualTo(17);
    assertThat(InmeshAgent.featureVersion("25")).isEqualTo(25);
    assertThat(InmeshAgent.featureVersion("garbage")).isZero();
    assertThat(InmeshAgent.tooOldMessage("11"))
        .contains("Java 11 is older than 17")
        .contains("application runs without it");
  }

  @Test
  void settingsFollowTheConfigurationContract() {
    Map<String, String> env = new HashMap<>();
    env.put("INMESH_CONTROL_URL", "http://127.0.0.9:15010/");
    env.put("INMESH_SERVICE", "usuario-service");
    env.put("INMESH_LABELS", "app=usuario-service,version=v1");
    env.put("INMESH_STARTUP_WAIT", "250ms");
    Properties props = new Properties();
    props.setProperty("inmesh.namespace", "shop"); // the system property form
    Settings s = Settings.resolve(env, props);
    assertThat(s.controlUrl).isEqualTo("http://127.0.0.9:15010");
    assertThat(s.service).isEqualTo("usuario-service");
    assertThat(s.namespace).isEqualTo("shop");
    assertThat(s.labels).containsEntry("app", "usuario-service").containsEntry("version", "v1");
    assertThat(s.serviceAccount).isEqualTo("usuario-service");
    assertThat(s.adminAddress).isEqualTo("127.0.0.1");
    assertThat(s.startupWaitMillis).isEqualTo(250);
    assertThat(s.enabled).isTrue();
    assertThat(s.cacheDir).contains("inmesh-cache").contains("shop").contains("usuario-service");
  }

  @Test
  void systemPropertyWinsOverEnvironmentVariable() {
    Map<String, String> env = new HashMap<>();
    env.put("INMESH_SERVICE", "from-env");
    Properties props = new Properties();
    props.setProperty("inmesh.service", "from-property");
    assertThat(Settings.resolve(env, props).service).isEqualTo("from-property");
  }

  @Test
  void defaultsFallBackToOtelServiceNameThenTheMainClass() {
    Map<String, String> env = new HashMap<>();
    env.put("OTEL_SERVICE_NAME", "billing");
    assertThat(Settings.resolve(env, new Properties()).service).isEqualTo("billing");
    Properties props = new Properties();
    props.setProperty("sun.java.command", "com.example.pedido.PedidoServiceApplication --server.port=8080");
    Settings s = Settings.resolve(new HashMap<>(), props);
    assertThat(s.service).isEqualTo("pedido-service-application");
    assertThat(s.labels).containsEntry("app", "pedido-service-application");
    assertThat(s.controlUrl).isNull();
  }

  @Test
  void badValuesWarnAndFallBackInsteadOfFailing() {
    Map<String, String> env = new HashMap<>();
    env.put("INMESH_SERVICE", "x");
    env.put("INMESH_STARTUP_WAIT", "soon");
    env.put("INMESH_LABELS", "version=v2,oops");
    env.put("INMESH_ENABLED", "false");
    Settings s = Settings.resolve(env, new Properties());
    assertThat(s.startupWaitMillis).isEqualTo(5000);
    assertThat(s.labels).containsEntry("app", "x").containsEntry("version", "v2").hasSize(2);
    assertThat(s.enabled).isFalse();
    assertThat(s.warnings).contains("INMESH_STARTUP_WAIT").contains("\"oops\"");
    assertThat(s.startLine("1", "2")).contains("mesh=off").contains("control=none (passthrough)");
  }
}
