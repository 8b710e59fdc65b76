package io.inmesh.smoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The distributable jar itself: what it says it is, and how it behaves when told to stay off. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentJarSmokeTest {

  @Test
  void versionPrintsInmeshAndTheEmbeddedOpenTelemetryVersions() throws Exception {
    Process p = new ProcessBuilder(Smoke.JAVA, "-jar", Smoke.AGENT.toString(), "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(out).contains("inmesh 0.1.0").contains("OpenTelemetry Java agent 2.31.1");
  }

  @Test
  void theJarsEntryPointsAreJava8BytecodeAndTheExtensionIsEmbedded() throws Exception {
    try (JarFile jar = new JarFile(Smoke.AGENT.toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Premain-Class")).isEqualTo("io.inmesh.launcher.InmeshAgent");
      assertThat(jar.getEntry("extensions/inmesh-extension.jar")).isNotNull();
      for (String c : List.of("io/inmesh/launcher/InmeshAgent.class", "io/inmesh/launcher/Settings.class", "io/inmesh/launcher/Main.class")) {
        try (InputStream in = jar.getInputStream(jar.getEntry(c)); DataInputStream d = new DataInputStream(in)) {
          d.readInt();
          d.readUnsignedShort();
          assertThat(d.readUnsignedShort()).as(c).isEqualTo(52);
        }
      }
    }
  }

  /**
   * Every module is compiled with {@code -XDstringConcat=inline} (issue 13): an invokedynamic string
   * concatenation spins method-handle classes at its first use, in every JVM the agent joins. A module
   * that lists its own compiler arguments must append to the parent's, not replace them (two did).
   */
  @Test
  void noClassInTheEmbeddedExtensionConcatenatesStringsThroughInvokedynamic() throws Exception {
    byte[] marker = "makeConcatWithConstants".getBytes(StandardCharsets.US_ASCII);
    List<String> offenders = new java.util.ArrayList<>();
    int classes = 0;
    try (JarFile jar = new JarFile(Smoke.AGENT.toFile());
        java.util.jar.JarInputStream ext = new java.util.jar.JarInputStream(jar.getInputStream(jar.getEntry("extensions/inmesh-extension.jar")))) {
      for (java.util.jar.JarEntry e; (e = ext.getNextJarEntry()) != null; ) {
        if (e.getName().startsWith("io/inmesh/") && e.getName().endsWith(".class")) {
          classes++;
          if (indexOf(ext.readAllBytes(), marker) >= 0) {
            offenders.add(e.getName());
          }
        }
      }
    }
    assertThat(classes).as("inmesh classes in the extension").isGreaterThan(100);
    assertThat(offenders).as("classes with an invokedynamic string concatenation").isEmpty();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void withInmeshDisabledTheAppRunsUntouchedAndSaysSo() throws Exception {
    Path dir = Smoke.workDir("disabled");
    Map<String, String> env = Smoke.inmeshEnv("pedido-service", "app=pedido-service", "127.0.0.46", "http://127.0.0.10:1", dir);
    env.put("INMESH_ENABLED", "false");
    Proc p = Smoke.meshed("pedido-disabled", env, Smoke.LOGS.resolve("agent-jar"), Smoke.plainApp("PlainPedidoApp", "127.0.0.46", "8080", "--call-at-start", "http://usuario-service/usuarios/1"));
    try {
      Smoke.awaitTrue("the start-up call", Duration.ofSeconds(40), () -> p.output().contains("START-CALL "), p);
      // the mesh profile (the default without an exporter) then installs nothing; traced keeps tracing
      assertThat(p.output()).containsAnyOf(
          "mesh=off (INMESH_ENABLED=false) profile=mesh", "mesh=off (INMESH_ENABLED=false; tracing stays on) profile=traced");
      Matcher m = Pattern.compile("START-CALL (\\d+)ms \\{(.*)}").matcher(p.output());
      assertThat(m.find()).isTrue();
      assertThat(m.group(2)).contains("status=0"); // not routed: the name does not resolve
      // no start-up wait when the mesh is off: its one warning (and the wait behind it) never happens
      assertThat(p.output()).as("no startup wait when the mesh is off").doesNotContain("INMESH_STARTUP_WAIT");
      Smoke.awaitTrue("pedido to listen", Duration.ofSeconds(20), () -> p.output().contains("pedido listening"), p);
      assertThat(Smoke.status("http://127.0.0.46:15020/healthz/ready")).as("no admin ports when off").isEqualTo(-1);
      assertThat(Files.list(dir).count()).as("no cache written").isZero();
    } finally {
      p.stop();
    }
  }
}
