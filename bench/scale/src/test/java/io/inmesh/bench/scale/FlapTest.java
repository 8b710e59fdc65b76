package io.inmesh.bench.scale;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, item 2, "flapping": 100 agents (the agent's own ControlLoop and ControlClient) against
 * a real control plane process (control-plane/target/inmesh-control.jar) that is SIGKILLed and
 * started again on the same address and data dir every 3 s, 4 times. Fails if the fleet comes back
 * in lockstep after a restart (more than a quarter of it inside one 50 ms window: see
 * {@link FlapSpread}), if an endpoint of a live agent is missing from any snapshot a watcher agent
 * receives or from any {@code /v1/endpoints} answer after the fleet first converged, or if the
 * fleet does not converge (all registered, running the latest policy, seen current) afterwards.
 * {@code bench/scale/run --flap} is the longer run. Its loopback range: 127.0.14.x.
 */
class FlapTest {

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void aHundredAgents_comeBackSpreadOut_noEndpointVanishes_andConverge() throws Exception {
    Path root = Path.of("").toAbsolutePath();
    while (root != null && !Files.exists(root.resolve("control-plane/pom.xml"))) {
      root = root.getParent();
    }
    assertThat(root).as("the repository root").isNotNull();
    Path jar = root.resolve("control-plane/target/inmesh-control.jar");
    assertThat(jar).as("the control plane jar (the reactor packages control-plane first)").isRegularFile();

    FlapRun.Options o = new FlapRun.Options();
    o.agents = 100;
    o.cycles = 4;
    o.everyMillis = 3_000;
    o.controlJar = jar;
    o.controlJava = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    o.listen = "127.0.14.1:15114";
    o.address = i -> "127.0.14." + (10 + i);
    o.watcherAddress = "127.0.14.200";
    o.convergeBound = Duration.ofSeconds(30);
    o.logs = Files.createDirectories(root.resolve("bench/scale/target/flap-logs"));
    FlapRun.Result r = new FlapRun(o).run();
    r.print(System.out);

    assertThat(r.cycles()).hasSize(4);
    assertThat(r.cycles()).as("no restart brought the fleet back in lockstep")
        .noneMatch(c -> c.spread().lockstep());
    assertThat(r.watcher().checked()).as("snapshots the watcher checked").isPositive();
    assertThat(r.watcher().vanished()).as("endpoints missing from the watcher's snapshots: " + r.watcher().line()).isZero();
    assertThat(r.endpoints().incarnations()).as("control-plane processes whose /v1/endpoints was checked (of 5)")
        .isGreaterThanOrEqualTo(3);
    assertThat(r.endpoints().vanished()).as("endpoints missing from /v1/endpoints: " + r.endpoints().line()).isZero();
    assertThat(r.converged()).as("converged after the flapping: " + r.convergeState()).isTrue();
    assertThat(r.problems()).isEmpty();
  }
}
