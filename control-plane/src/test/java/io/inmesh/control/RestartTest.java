package io.inmesh.control;

import static io.inmesh.control.RegistryApiTest.endpointsOf;
import static io.inmesh.control.RegistryApiTest.services;
import static io.inmesh.control.RunningControlPlane.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract: no agent sees its endpoints vanish because the control plane restarted. */
class RestartTest {

  @TempDir Path tmp;

  @Test
  void aRestartWithTheSameDataDirServesTheSameEndpointsFromTheFirstSnapshot() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Files.writeString(policies.resolve("canary.yaml"), SamplePolicies.CANARY);
    Path data = tmp.resolve("data");
    ControlPlaneConfig config = RunningControlPlane.config(policies, data).withWarmup(Duration.ofSeconds(7));

    String version;
    long generation;
    try (RunningControlPlane first = RunningControlPlane.start(config.withWarmup(Duration.ZERO))) {
      first.register("u-1", "usuario-service", "127.0.0.21", 8080, "v1");
      first.register("u-2", "usuario-service", "127.0.0.22", 8080, "v2");
      Map<String, Object> snap = first.snapshot();
      version = (String) snap.get("version");
      generation = ((Number) snap.get("generation")).longValue();
    }
    assertThat(data.resolve("registry.json")).exists();

    try (RunningControlPlane second = RunningControlPlane.start(config)) {
      // an agent that runs `version` is not held (a registry was restored, so no warm-up) and
      // not sent anything: the restart changed nothing it can see
      // (a poll held by the 7 s warm-up could not be answered inside the 5 s this waits)
      HttpResponse<String> held = second.poll(version, "500ms").get(5, TimeUnit.SECONDS);
      assertThat(held.statusCode()).isEqualTo(304);

      Map<String, Object> snap = second.snapshot();
      assertThat(snap).containsEntry("version", version);
      assertThat(((Number) snap.get("generation")).longValue()).isEqualTo(generation);
      assertThat(endpointsOf(services(snap).get(0))).extracting(e -> e.get("agent")).containsExactly("u-1", "u-2");
      assertThat(second.log).anyMatch(l -> l.contains("registry: restored 2 agents"));

      // restored agents got a fresh ttl: their next heartbeat is welcome
      assertThat(second.post("/v1/heartbeat", "{\"agent\":\"u-1\"}").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void onAFreshDataDirPollsThatCarryAVersionAreHeldThroughTheWarmUp() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Duration warmup = Duration.ofMillis(1500);
    ControlPlaneConfig config = RunningControlPlane.config(policies, tmp.resolve("fresh")).withWarmup(warmup);
    try (RunningControlPlane cp = RunningControlPlane.start(config)) {
      // an agent that already runs a snapshot (from before the restart) polls with its version
      CompletableFuture<HttpResponse<String>> running = cp.poll("0123456789abcdef", "30s");
      // a new agent has no version: it gets the snapshot at once
      HttpResponse<String> fresh = cp.poll(null, "30s").get(5, TimeUnit.SECONDS);
      assertThat(fresh.statusCode()).isEqualTo(200);
      assertThat(running).isNotDone();

      // meanwhile agents re-register; the held poll must see them
      cp.register("u-1", "usuario-service", "127.0.0.21", 8080, "v1");
      HttpResponse<String> r = running.get(10, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      // held, not answered at once: its answer already carries the registration made after it was sent
      assertThat(endpointsOf(services(json(r)).get(0))).extracting(e -> e.get("agent")).containsExactly("u-1");
    }
  }

  @Test
  void anUnreadableRegistryFileIsSetAsideAndTheControlPlaneStartsEmpty() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("registry.json"), "{ not json");
    try (RunningControlPlane cp = RunningControlPlane.start(RunningControlPlane.config(policies, data))) {
      assertThat(services(cp.snapshot())).isEmpty();
      assertThat(cp.log).anyMatch(l -> l.contains("registry: cannot read") && l.contains("kept as"));
    }
    try (var files = Files.list(data)) {
      assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("registry.json.unreadable-"));
    }
  }
}
