package io.inmesh.control;

import static io.inmesh.control.RunningControlPlane.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9: a view poll carries the ack of the snapshot the agent got last ({@code ack=V}, {@code
 * nack=V&error=...}), so a delivery costs the agent one request instead of a poll plus a {@code
 * POST /v1/ack} on a connection of its own; and registry changes are coalesced into few rebuilds.
 * The agent side is the real {@code ControlLoop}/{@code ControlClient}.
 */
class PollAckTest {

  @TempDir Path tmp;

  /** A namespace-wide edit every agent's view carries. */
  static final String PERMISSIVE_EDIT =
      """
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: default, namespace: default}
      spec: {mtls: {mode: PERMISSIVE}}
      """;

  @Test
  void aViewPollRecordsTheAckOrNackItCarries() throws Exception {
    try (RunningControlPlane cp = RunningControlPlane.start(Files.createDirectories(tmp.resolve("p")), tmp.resolve("d"))) {
      cp.register("a1", "svc-a", "127.0.9.11", 8080, "v1");
      HttpResponse<String> first = cp.get("/v1/view?agent=a1&wait=1s");
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.headers().firstValue("X-Inmesh-Poll-Ack")).as("the control plane says it reads acks in polls").hasValue("1");
      String v = first.headers().firstValue("X-Inmesh-Version").orElseThrow();
      assertThat(agent(cp, "a1").get("state")).isEqualTo("pending");
      assertThat(agent(cp, "nobody")).isEmpty();

      HttpResponse<String> acked = cp.get("/v1/view?agent=a1&version=" + v + "&wait=1s&ack=" + v);
      assertThat(acked.statusCode()).as("held, then unchanged").isEqualTo(304);
      assertThat(acked.headers().firstValue("X-Inmesh-Poll-Ack")).hasValue("1");
      Map<String, Object> a = agent(cp, "a1");
      assertThat(a.get("state")).isEqualTo("current");
      assertThat(a.get("appliedVersion")).isEqualTo(v);

      HttpResponse<String> nacked = cp.get("/v1/view?agent=a1&version=" + v + "&wait=1s&nack=" + v + "&error=bad%20route%20x");
      assertThat(nacked.statusCode()).isEqualTo(304);
      a = agent(cp, "a1");
      assertThat(a.get("state")).isEqualTo("rejected");
      assertThat(a.get("rejectedVersion")).isEqualTo(v);
      assertThat(a.get("rejectError")).isEqualTo("bad route x");
      assertThat(cp.log).anyMatch(l -> l.contains("NACK from agent=a1") && l.contains("bad route x"));

      // an ack on a poll by an agent the control plane does not know records nothing: 404, register again
      assertThat(cp.get("/v1/view?agent=ghost&wait=1s&ack=" + v).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void theRealControlLoopAcksInItsPolls_noPostAckNoHeartbeat() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("p"));
    try (RunningControlPlane cp = RunningControlPlane.start(policies, tmp.resolve("d"));
        TestAgent agent = new TestAgent(cp.plane.baseUri().toString().replaceAll("/$", ""), "svc-b", "127.0.9.12", tmp).start()) {
      eventually(Duration.ofSeconds(20), "the agent is current", () -> "current".equals(agent(cp, agent.id).get("state")));
      // a policy edit: delivered on the held poll, acked on the next one
      HttpResponse<String> edit =
          cp.post("/v1/policy?file=mesh.yaml", PERMISSIVE_EDIT);
      assertThat(edit.statusCode()).as(edit.body()).isEqualTo(200);
      String edited = (String) RunningControlPlane.json(edit).get("version");
      eventually(
          Duration.ofSeconds(20), "the agent acked the edit",
          () -> edited.equals(agent.activeVersion()) && edited.equals(agent(cp, agent.id).get("appliedVersion")));
      Map<String, Object> stats = agent.loop.stats();
      assertThat(((Number) stats.get("acksInPolls")).longValue()).as("both deliveries acked in polls").isGreaterThanOrEqualTo(2);
      assertThat(((Number) stats.get("heartbeats")).longValue()).as("the poll is the heartbeat").isZero();
    }
  }

  /**
   * The real control loop acks a delivery before its cache write (written behind, off the poll
   * thread), the cache still ends up holding what the agent runs, and a graceful stop writes a
   * snapshot that is still waiting.
   */
  @Test
  void theCacheIsWrittenBehindTheAck_andAStopWritesWhatWaits() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("p"));
    try (RunningControlPlane cp = RunningControlPlane.start(policies, tmp.resolve("d"))) {
      TestAgent agent = new TestAgent(cp.plane.baseUri().toString().replaceAll("/$", ""), "svc-cache", "127.0.9.14", tmp).start();
      Path cached = tmp.resolve("svc-cache-127.0.9.14").resolve("snapshot.json");
      long writes;
      try {
        eventually(Duration.ofSeconds(20), "the agent is current", () -> "current".equals(agent(cp, agent.id).get("state")));
        String first = agent.activeVersion();
        eventually(Duration.ofSeconds(20), "its first snapshot in the cache", () -> cachedVersion(cached).equals(first));
        writes = ((Number) agent.loop.stats().get("cacheWrites")).longValue();

        HttpResponse<String> edit = cp.post("/v1/policy?file=mesh.yaml", PERMISSIVE_EDIT);
        assertThat(edit.statusCode()).as(edit.body()).isEqualTo(200);
        String edited = (String) RunningControlPlane.json(edit).get("version");
        // acked: the poll that carried the ack left after the snapshot was handed to the cache
        eventually(Duration.ofSeconds(20), "the agent acked the edit", () -> edited.equals(agent(cp, agent.id).get("appliedVersion")));
      } finally {
        agent.close();
      }
      assertThat(cachedVersion(cached)).as("after a graceful stop the cache holds what the agent ran").isEqualTo(agent.activeVersion());
      assertThat(((Number) agent.loop.stats().get("cacheWrites")).longValue()).isEqualTo(writes + 1);
    }
  }

  private static String cachedVersion(Path file) {
    try {
      return Files.exists(file) ? String.valueOf(io.inmesh.policy.tree.JsonTrees.readObject(Files.readAllBytes(file)).get("version")) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Test
  void aControlPlaneThatDoesNotSayItReadsAcksInPolls_getsThemPosted() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("p"));
    try (ControlPlaneProcess cp =
            ControlPlaneProcess.start(policies, tmp.resolve("d"), "64m", List.of("-Dinmesh.control.pollAck=false"));
        TestAgent agent = new TestAgent(cp.base, "svc-c", "127.0.9.13", tmp).start()) {
      eventually(Duration.ofSeconds(20), "the agent is current (its ack posted)", () -> "current".equals(state(cp, agent.id)));
      assertThat(((Number) agent.loop.stats().get("acksInPolls")).longValue()).isZero();
    }
  }

  /**
   * Issue 9: while a large wave of answers still goes out, the answered agents are told to send
   * their next poll within some milliseconds ({@code X-Inmesh-Repoll-Within}) and the real control
   * loop does, at a random point in it; the last answered are not (nobody waits behind them). The
   * threshold is 1,000 answers; here 2, so four agents of one view make a wave.
   */
  @Test
  void aLargeWaveOfAnswersSpreadsTheNextPolls_theLastAnsweredComeBackAtOnce() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("p"));
    List<TestAgent> agents = new ArrayList<>();
    try (ControlPlaneProcess cp =
        ControlPlaneProcess.start(policies, tmp.resolve("d"), "64m", List.of("-Dinmesh.control.repollSpreadFrom=2"))) {
      try {
        for (int i = 0; i < 4; i++) {
          agents.add(new TestAgent(cp.base, "svc-wave", "127.0.9." + (41 + i), tmp).start());
        }
        eventually(Duration.ofSeconds(30), "every agent is current", () -> agents.stream().allMatch(a -> "current".equals(state(cp, a.id))));
        long before = agents.stream().mapToLong(PollAckTest::spread).sum();
        HttpResponse<String> edit =
            cp.post("/v1/policy?file=mesh.yaml", PERMISSIVE_EDIT);
        assertThat(edit.statusCode()).as(edit.body()).isEqualTo(200);
        eventually(
            Duration.ofSeconds(30), "every agent has the edit and acked it",
            () -> agents.stream().allMatch(a -> a.json().contains("PERMISSIVE") && "current".equals(state(cp, a.id))));
        long spread = agents.stream().mapToLong(PollAckTest::spread).sum() - before;
        assertThat(spread).as("agents answered while the rest of the wave still went out spread their next poll").isBetween(1L, 3L);
      } finally {
        agents.forEach(TestAgent::close);
      }
    }
  }

  private static long spread(TestAgent a) {
    return ((Number) a.loop.stats().get("repollsSpread")).longValue();
  }

  private static String state(ControlPlaneProcess cp, String id) {
    try {
      for (Object o : (List<?>) cp.json("/v1/agents").get("agents")) {
        Map<?, ?> a = (Map<?, ?>) o;
        if (id.equals(a.get("agent"))) {
          return (String) a.get("state");
        }
      }
      return null;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aBurstOfRegistrationsCostsFarFewerRebuildsThanRegistrations() throws Exception {
    int agents = 200;
    try (RunningControlPlane cp = RunningControlPlane.start(Files.createDirectories(tmp.resolve("p")), tmp.resolve("d"))) {
      long changesBefore = number(cp.getJson("/v1/load"), "registryChanges");
      long rebuildsBefore = number(cp.getJson("/v1/load"), "rebuilds");
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < agents; i++) {
          int n = i;
          done.add(pool.submit(() -> cp.register("burst-" + n, "svc-" + (n % 20), "127.0.9." + (20 + n % 200), 8080, "v1")));
        }
        for (Future<?> f : done) {
          f.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(endpointsInRegistry(cp)).isEqualTo(agents);
      eventually(
          Duration.ofSeconds(20), "a rebuild applied the burst",
          () -> number(cp.getJson("/v1/load"), "rebuilds") > rebuildsBefore);
      Map<String, Object> load = cp.getJson("/v1/load");
      long changes = number(load, "registryChanges") - changesBefore;
      long rebuilds = number(load, "rebuilds") - rebuildsBefore;
      assertThat(changes).isGreaterThanOrEqualTo(agents);
      assertThat(rebuilds).as("%d registry changes coalesced", changes).isBetween(1L, changes / 4);
    }
  }

  private static int endpointsInRegistry(RunningControlPlane cp) {
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> services = (List<Map<String, Object>>) cp.getJson("/v1/endpoints").get("services");
    return services.stream().mapToInt(s -> ((List<?>) s.get("endpoints")).size()).sum();
  }

  private static long number(Map<String, Object> m, String key) {
    return ((Number) m.get(key)).longValue();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> agent(RunningControlPlane cp, String id) {
    for (Object o : (List<Object>) cp.getJson("/v1/agents").get("agents")) {
      Map<String, Object> a = (Map<String, Object>) o;
      if (id.equals(a.get("agent"))) {
        return a;
      }
    }
    return Map.of(); // not registered (yet)
  }
}
