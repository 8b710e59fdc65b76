package io.inmesh.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The profile rule of issue 13 (docs/lean-profile.md 5.1): a pure function of env + props (+ the OTel config file). */
class ProfileTest {

  private static Map<String, String> env(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static Properties props(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }

  @Test
  void noExporterConfiguredIsTheMeshProfile() {
    Profile p = Profile.choose(env("PATH", "/bin"), props("java.version", "17"));
    assertThat(p.name).isEqualTo("mesh");
    assertThat(p.isMesh()).isTrue();
    assertThat(p.startLineText()).isEqualTo("profile=mesh (no OpenTelemetry exporter configured)");
    assertThat(p.warnings).isEmpty();
  }

  @Test
  void anyExporterOtherThanNoneChoosesTraced() {
    assertThat(Profile.choose(env("OTEL_TRACES_EXPORTER", "otlp"), props()).startLineText())
        .isEqualTo("profile=traced (OTEL_TRACES_EXPORTER=otlp)");
    assertThat(Profile.choose(env("OTEL_METRICS_EXPORTER", "prometheus"), props()).name).isEqualTo("traced");
    assertThat(Profile.choose(env("OTEL_LOGS_EXPORTER", "none,logging"), props()).name).isEqualTo("traced");
    assertThat(Profile.choose(env(), props("otel.traces.exporter", "logging")).startLineText())
        .isEqualTo("profile=traced (otel.traces.exporter=logging)");
  }

  @Test
  void exportersSetToNoneStayInMeshWithoutAWarningAboutThem() {
    Profile p =
        Profile.choose(
            env("OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_SERVICE_NAME", "a",
                "OTEL_PROPAGATORS", "b3"),
            props("otel.logs.exporter", "none"));
    assertThat(p.name).isEqualTo("mesh");
    assertThat(p.warnings).isEmpty();
  }

  @Test
  void systemPropertyWinsOverEnvironmentLikeOtel() {
    Profile p = Profile.choose(env("OTEL_TRACES_EXPORTER", "otlp"), props("otel.traces.exporter", "none"));
    assertThat(p.name).isEqualTo("mesh");
  }

  @Test
  void extensionsChooseTraced() {
    assertThat(Profile.choose(env("OTEL_JAVAAGENT_EXTENSIONS", "/x.jar"), props()).startLineText())
        .isEqualTo("profile=traced (OTEL_JAVAAGENT_EXTENSIONS is set)");
    assertThat(Profile.choose(env(), props("otel.javaagent.extensions", "/x.jar")).name).isEqualTo("traced");
  }

  @Test
  void inmeshProfileDecidesWhenSet() {
    assertThat(Profile.choose(env("INMESH_PROFILE", "traced"), props()).startLineText())
        .isEqualTo("profile=traced (INMESH_PROFILE=traced)");
    Profile mesh = Profile.choose(env("INMESH_PROFILE", "MESH", "OTEL_TRACES_EXPORTER", "otlp"), props());
    assertThat(mesh.startLineText()).isEqualTo("profile=mesh (INMESH_PROFILE=mesh)");
    assertThat(mesh.warnings).contains("OTEL_TRACES_EXPORTER").contains("only in the traced profile");
    assertThat(Profile.choose(env("INMESH_PROFILE", "mesh"), props("inmesh.profile", "traced")).name)
        .isEqualTo("traced");
  }

  @Test
  void anUnknownProfileWarnsOnceThenFollowsTheAutomaticRule() {
    Profile p = Profile.choose(env("INMESH_PROFILE", "lean", "OTEL_TRACES_EXPORTER", "otlp"), props());
    assertThat(p.name).isEqualTo("traced");
    assertThat(p.warnings.split("\n")).hasSize(1);
    assertThat(p.warnings).contains("INMESH_PROFILE=lean is neither mesh nor traced");
    assertThat(Profile.choose(env("INMESH_PROFILE", "lean"), props()).name).isEqualTo("mesh");
  }

  @Test
  void otherOtelSettingsAreNamedInOneWarningInMeshOnly() {
    Map<String, String> e =
        env("OTEL_RESOURCE_ATTRIBUTES", "a=b", "OTEL_SERVICE_NAME", "svc", "OTEL_TRACES_EXPORTER", "none",
            "OTEL_PROPAGATORS", "tracecontext,b3", "HOME", "/root");
    Properties pr =
        props("otel.instrumentation.common.default-enabled", "false", "inmesh.service", "x",
            "otel.instrumentation.inmesh-tomcat.enabled", "false");
    Profile mesh = Profile.choose(e, pr);
    assertThat(mesh.name).isEqualTo("mesh");
    assertThat(mesh.warnings.trim().split("\n")).hasSize(1);
    assertThat(mesh.warnings)
        .startsWith("[inmesh] warning: OTEL_RESOURCE_ATTRIBUTES, otel.instrumentation.common.default-enabled take effect only in the traced profile")
        .doesNotContain("OTEL_SERVICE_NAME")
        .doesNotContain("OTEL_PROPAGATORS")
        .doesNotContain("OTEL_TRACES_EXPORTER");
    e.put("OTEL_TRACES_EXPORTER", "otlp");
    assertThat(Profile.choose(e, pr).warnings).isEmpty();
  }

  @Test
  void theAgentConfigurationFileCounts(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("otel.properties");
    Files.write(f, "otel.metrics.exporter=otlp\n".getBytes(StandardCharsets.ISO_8859_1));
    Profile p = Profile.choose(env("OTEL_JAVAAGENT_CONFIGURATION_FILE", f.toString()), props());
    assertThat(p.startLineText())
        .isEqualTo("profile=traced (otel.metrics.exporter=otlp in OTEL_JAVAAGENT_CONFIGURATION_FILE)");
    Files.write(f, "otel.metrics.exporter=none\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(Profile.choose(env(), props("otel.javaagent.configuration-file", f.toString())).name)
        .isEqualTo("mesh");
    Profile missing = Profile.choose(env("OTEL_JAVAAGENT_CONFIGURATION_FILE", dir.resolve("nope").toString()), props());
    assertThat(missing.name).isEqualTo("mesh");
    assertThat(missing.warnings).contains("could not read OTEL_JAVAAGENT_CONFIGURATION_FILE");
  }

  @Test
  void theStartLineNamesTheProfileAndCarriesItsWarning() {
    Map<String, String> e = env("INMESH_SERVICE", "shop", "OTEL_RESOURCE_ATTRIBUTES", "a=b");
    Profile p = Profile.choose(e, props());
    String line = Settings.resolve(e, props()).startLine("0.1.0", "2.31.1", p);
    assertThat(line.split("\n")[0]).endsWith("profile=mesh (no OpenTelemetry exporter configured)");
    assertThat(line).contains("[inmesh] warning: OTEL_RESOURCE_ATTRIBUTES takes effect only in the traced profile");
  }

  @Test
  void profileIsJava8BytecodeLikeTheRestOfTheLauncher() throws Exception {
    try (InputStream in = Profile.class.getResourceAsStream("Profile.class");
        DataInputStream data = new DataInputStream(in)) {
      assertThat(data.readInt()).isEqualTo(0xCAFEBABE);
      data.readUnsignedShort();
      assertThat(data.readUnsignedShort()).isEqualTo(52);
    }
  }
}
