package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * A call made before any snapshot exists (none fetched, none cached) waits for the first one,
 * bounded by INMESH_STARTUP_WAIT, but only for hosts that could be mesh services; any other host
 * passes through at once and untouched.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StartupWaitSmokeTest {
  static final String CP = "127.0.0.10:15010";
  static final String CONTROL_URL = "http://" + CP;
  static final Pattern START_CALL = Pattern.compile("START-CALL (\\d+)ms \\{(.*)}");

  final Path tmp = Smoke.workDir("StartupWaitSmokeTest");
  Path policies;
  Path dataDir;
  Path logs;
  Proc controlPlane;
  final List<Proc> procs = new ArrayList<>();

  @BeforeAll
  void registerUsuarioThenTakeTheControlPlaneDown() throws Exception {
    policies = Files.createDirectories(tmp.resolve("policies"));
    dataDir = tmp.resolve("control-data");
    logs = Smoke.LOGS.resolve("startup-wait");
    Smoke.write(policies.resolve("canary.yaml"), Policies.SEED_CANARY);
    Smoke.write(policies.resolve("subsets.yaml"), Policies.SUBSETS);
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, dataDir, logs);
    Map<String, String> env = inmeshEnv("usuario-service", "app=usuario-service,version=v1", "127.0.0.41", CONTROL_URL, tmp.resolve("cache-usuario"));
    env.put("APP_VERSION", "v1");
    Proc usuario = meshed("usuario-v1", env, logs, plainApp("PlainUsuarioApp", "127.0.0.41", "8080"));
    procs.add(usuario);
    awaitReady(usuario, "127.0.0.41");
    awaitTrue(
        "usuario registered",
        Duration.ofSeconds(20),
        () -> Smoke.get("http://" + CP + "/v1/endpoints").contains("127.0.0.41"),
        controlPlane,
        usuario);
    awaitTrue(
        "the registry to be persisted",
        Duration.ofSeconds(10),
        () -> {
          try {
            return Files.readString(dataDir.resolve("registry.json")).contains("127.0.0.41");
          } catch (java.io.IOException e) {
            return false;
          }
        },
        controlPlane);
    controlPlane.kill(); // its data dir remembers usuario's endpoint
  }

  @AfterAll
  void stopAll() {
    Proc.stopAll(procs);
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  Proc pedidoCallingAtStart(String name, String address, String url, Path cache, String startupWait) throws Exception {
    Map<String, String> env = inmeshEnv("pedido-service", "app=pedido-service", address, CONTROL_URL, cache);
    if (startupWait != null) {
      env.put("INMESH_STARTUP_WAIT", startupWait);
    }
    Proc p = meshed(name, env, logs, plainApp("PlainPedidoApp", address, "8080", "--call-at-start", url));
    procs.add(p);
    return p;
  }

  static Matcher startCall(Proc p) {
    awaitTrue(p.name() + " to make its start-up call", Duration.ofSeconds(180), () -> START_CALL.matcher(p.output()).find(), p);
    Matcher m = START_CALL.matcher(p.output());
    assertThat(m.find()).as(p.tail(20)).isTrue();
    return m;
  }

  /** The agent's counter of calls that waited for the first snapshot. */
  static long startupWaits(String adminAddress) {
    Matcher m = Pattern.compile("\"startupWaits\"\\s*:\\s*(\\d+)").matcher(Smoke.get("http://" + adminAddress + ":15000/stats"));
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1));
  }

  @Test
  @Order(1)
  void aNonMeshHostPassesThroughAtOnce() throws Exception {
    Proc p = pedidoCallingAtStart("pedido-ip", "127.0.0.44", "http://127.0.0.41:8080/usuarios/1", Files.createDirectories(tmp.resolve("empty-1")), null);
    Matcher m = startCall(p);
    assertThat(m.group(2)).contains("status=200").contains("version=v1");
    assertThat(startupWaits("127.0.0.44")).as("an IP literal never waits for a snapshot").isZero();
  }

  /** Issue 15: one bounded wait, counted from the agent's start, not from each call. */
  @Test
  @Order(2)
  void callsToAMeshHostWaitTogetherOnceAndThenPassThroughWhenNoSnapshotEverComes() throws Exception {
    Proc p = pedidoCallingAtStart("pedido-bounded", "127.0.0.45", "http://usuario-service/usuarios/1", Files.createDirectories(tmp.resolve("empty-2")), "1s");
    Matcher m = startCall(p);
    assertThat(m.group(2)).contains("status=0"); // passed through untouched: the name does not resolve
    assertThat(p.output()).contains("no snapshot within 1000ms of start (INMESH_STARTUP_WAIT)");
    awaitTrue("pedido listening", Duration.ofSeconds(60), () -> p.output().contains("pedido listening"), p);
    String later = Smoke.get("http://127.0.0.45:8080/call?url=http://usuario-service/usuarios/1&client=jdk&n=3");
    assertThat(later).contains("ConnectException"); // passed through at once, still no snapshot
    String laterAsync = Smoke.get("http://127.0.0.45:8080/call?url=http://usuario-service/usuarios/1&client=jdk-async&n=2");
    assertThat(laterAsync).contains("Exception");
    assertThat(startupWaits("127.0.0.45")).as("only the call made during the start-up window waited").isLessThanOrEqualTo(1);
  }

  @Test
  @Order(3)
  void aCallToAMeshHostWaitsForTheFirstSnapshotInsteadOfFailing() throws Exception {
    Proc p = pedidoCallingAtStart("pedido-waits", "127.0.0.43", "http://usuario-service/usuarios/1", Files.createDirectories(tmp.resolve("empty-3")), "120s");
    awaitTrue("pedido to begin its call", Duration.ofSeconds(60), () -> p.output().contains("CALLING-AT-START"), p);
    assertThat(START_CALL.matcher(p.output()).find()).as("still waiting: no control plane, no snapshot").isFalse();
    controlPlane = Smoke.controlPlane("control-plane-late", CP, policies, dataDir, logs);
    Matcher m = startCall(p);
    assertThat(m.group(2)).contains("status=200").contains("version=v1");
    assertThat(startupWaits("127.0.0.43")).isEqualTo(1);
  }
}
