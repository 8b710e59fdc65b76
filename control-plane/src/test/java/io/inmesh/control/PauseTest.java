package io.inmesh.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 3: expiry runs on monotonic time, and a control plane resumed from a pause longer
 * than the TTL (SIGSTOP here; a long GC or a suspended VM alike) gives every agent a fresh TTL to
 * be heard from: no live endpoint is dropped, and a dead one still expires one TTL later.
 */
class PauseTest {

  static final Duration TTL = Duration.ofSeconds(3);

  @TempDir Path tmp;

  @Test
  void resumingFromASigstopLongerThanTheTtlDropsNoLiveEndpoint() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    List<TestAgent> agents = new ArrayList<>();
    try (ControlPlaneProcess cp =
        ControlPlaneProcess.start(policies, tmp.resolve("data"), "64m", "--heartbeat", "1s", "--ttl", "3s")) {
      for (int i = 1; i <= 3; i++) {
        agents.add(new TestAgent(cp.base, "live-service", "127.4.0." + i, tmp.resolve("cache")).start());
      }
      // a dead agent: registered once, never heard from again
      cp.post("/v1/register", "{\"agent\":\"dead-1\",\"service\":\"dead-service\",\"address\":\"127.4.1.1\",\"ports\":[8080]}");
      RunningControlPlane.eventually(Duration.ofSeconds(20), "three live endpoints",
          () -> liveEndpoints(cp) == 3);

      cp.signal("STOP");
      Thread.sleep(TTL.multipliedBy(2).toMillis()); // paused for twice the TTL
      cp.signal("CONT");

      // for a whole TTL after resuming, every live endpoint stays listed
      long until = System.nanoTime() + TTL.plusSeconds(1).toNanos();
      int checks = 0;
      while (System.nanoTime() < until) {
        assertThat(liveEndpoints(cp)).as("live endpoints after the pause").isEqualTo(3);
        checks++;
        Thread.sleep(100);
      }
      assertThat(checks).isPositive();
      // the first sweep after resuming says so (on a loaded machine it may run a moment later)
      RunningControlPlane.eventually(Duration.ofSeconds(30), "the pause to be logged",
          () -> cp.log.stream().anyMatch(l -> l.contains("was paused for about")));
      assertThat(cp.log).noneMatch(l -> l.contains("live-service") && l.contains("expired"));
      // expiry still works: the dead agent goes one TTL after the resume
      RunningControlPlane.eventually(Duration.ofSeconds(15), "the dead agent to expire",
          () -> !endpoints(cp).contains("127.4.1.1"));
      assertThat(liveEndpoints(cp)).isEqualTo(3);
    } finally {
      agents.forEach(a -> a.loop.stop());
    }
  }

  private static String endpoints(ControlPlaneProcess cp) {
    try {
      return cp.get("/v1/endpoints").body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static long liveEndpoints(ControlPlaneProcess cp) {
    String body = endpoints(cp);
    return List.of("127.4.0.1", "127.4.0.2", "127.4.0.3").stream().filter(body::contains).count();
  }
}
