package io.inmesh.bench.mode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class AppPairTest {
  private final BenchPaths paths = new BenchPaths(Path.of("/repo"), Path.of("/jdk/bin/java"), Path.of("/jdk/bin/jcmd"), null);

  @Test
  void jdkPairRunsTheBenchJarsMainClassesWithNagleOff() {
    assertThat(AppPair.JDK.backendArgs(paths, "127.0.0.12", 8080))
        .containsExactly(AppPair.JDK_NODELAY, "-cp", "/repo/bench/harness/target/inmesh-bench.jar", "io.inmesh.bench.apps.JdkBackend", "127.0.0.12", "8080");
    assertThat(AppPair.JDK.frontendArgs(paths, "127.0.0.11", 8080, "http://backend-service"))
        .containsExactly(AppPair.JDK_NODELAY, "-cp", "/repo/bench/harness/target/inmesh-bench.jar", "io.inmesh.bench.apps.JdkFrontend", "127.0.0.11", "8080", "http://backend-service");
  }

  @Test
  void springPairRunsTheExampleFatJars() {
    assertThat(AppPair.SPRING.frontendArgs(paths, "127.0.0.21", 8080, "http://127.0.0.22:8080"))
        .containsExactly("-jar", "/repo/examples/pedido-service/target/pedido-service.jar", "--server.address=127.0.0.21", "--server.port=8080", "--usuario.url=http://127.0.0.22:8080");
  }

  @Test
  void aFrontendWithoutABackendUrlIsAnError() {
    assertThatThrownBy(() -> AppPair.SPRING.frontendArgs(paths, "127.0.0.21", 8080, null)).hasMessageContaining("backend URL");
  }

  @Test
  void unknownNamesListTheKnownOnes() {
    assertThatThrownBy(() -> AppPair.byId("okhttp")).hasMessageContaining("[jdk, spring]");
    assertThatThrownBy(() -> Mode.byId("linkerd")).hasMessageContaining("otel-lean");
  }
}
