package io.inmesh.bench.measure;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClassLoadLogTest {

  @Test
  void countsBySourceFindsMilestonesAndWhenTheMainClassLoaded() {
    String log =
        """
        [0.010s] java.lang.Object source: shared objects file
        [0.011s] java.lang.String source: shared objects file
        [0.020s] sun.launcher.LauncherHelper source: jrt:/java.base
        [0.300s] io.opentelemetry.javaagent.OpenTelemetryAgent source: file:/w/agent/target/inmesh-agent.jar
        [0.503s] io.inmesh.agent.extension.InmeshAgentListener source: otel:/
        [0.900s] java.lang.invoke.LambdaForm$MH/0x1 source: __JVM_LookupDefineClass__
        [1.000s] io.inmesh.agent.MeshAgent$$Lambda$237/0x00007f70a125c210 source: io.inmesh.agent.MeshAgent
        [1.100s] io.inmesh.agent.MeshAgent source: otel:/
        [1.234s] io.inmesh.bench.apps.JdkBackend source: file:/w/bench/harness/target/inmesh-bench.jar
        [1.300s] sun.nio.ch.Foo source: /usr/lib/jvm/java-17-openjdk-amd64/lib/modules
        not a class line
        """;
    ClassLoadLog.Summary s = ClassLoadLog.parse(log, "io.inmesh.bench.apps.JdkBackend");
    assertThat(s.total()).isEqualTo(10);
    assertThat(s.beforeWatched()).isEqualTo(8);
    assertThat(s.classLoadedAtMillis()).isEqualTo(1234.0);
    assertThat(s.milestones()).containsEntry("agent premain starts", 300.0).containsEntry("inmesh engine", 1100.0).doesNotContainKey("SDK autoconfiguration");
    assertThat(s.bySource())
        .containsEntry("JDK, from the CDS archive", 2)
        .containsEntry("JDK, not from CDS", 2)
        .containsEntry("agent jar", 1)
        .containsEntry("agent extension (otel:/)", 2)
        .containsEntry("application", 1)
        .containsEntry("generated at run time", 2);
  }

  @Test
  void anAbsentClassGivesNaN() {
    assertThat(ClassLoadLog.parse("", "X").classLoadedAtMillis()).isNaN();
  }
}
