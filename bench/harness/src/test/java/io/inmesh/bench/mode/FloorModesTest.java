package io.inmesh.bench.mode;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.bench.measure.StartupProbe;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Issue 13's floor modes: what each JVM of them carries. */
class FloorModesTest {
  private final BenchPaths paths = new BenchPaths(Path.of("/repo"), Path.of("/jdk/bin/java"), Path.of("/jdk/bin/jcmd"), null);

  @Test
  void otelBareIsTheStockAgentWithEveryInstrumentationOff() {
    Map<String, String> env = JvmSettings.env(Mode.OTEL_BARE, paths, "backend-service", "127.0.100.142", null, Path.of("/tmp/c"));
    assertThat(env).containsEntry("JAVA_TOOL_OPTIONS", "-javaagent:" + paths.otelAgent())
        .containsEntry("OTEL_INSTRUMENTATION_COMMON_DEFAULT_ENABLED", "false")
        .containsEntry("OTEL_TRACES_EXPORTER", "none");
    assertThat(Mode.OTEL_BARE.meshed()).isFalse();
  }

  @Test
  void bbFloorCarriesTheFloorAgentAndNoMesh() {
    Map<String, String> env = JvmSettings.env(Mode.BB_FLOOR, paths, "backend-service", "127.0.100.152", null, Path.of("/tmp/c"));
    assertThat(env).containsOnlyKeys("JAVA_TOOL_OPTIONS");
    assertThat(env.get("JAVA_TOOL_OPTIONS")).isEqualTo("-javaagent:/repo/bench/floor-agent/target/inmesh-bb-floor-agent.jar");
    assertThat(Mode.BB_FLOOR.meshed()).isFalse();
  }

  @Test
  void everyStartUpVariantHasAnAddressOfItsOwnBesideTheRunningBackendAndItsControlPlane() {
    Set<String> seen = new HashSet<>(Set.of(Topology.NETWORK + "86", Topology.NETWORK + "88", Topology.NETWORK + "89"));
    for (Mode v : StartupProbe.VARIANTS) {
      assertThat(seen.add(StartupProbe.address(v))).as(v.id).isTrue();
    }
    assertThat(StartupProbe.VARIANTS).contains(Mode.OTEL_BARE, Mode.BB_FLOOR);
  }
}
