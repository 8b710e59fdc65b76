package io.inmesh.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, "graceful under overload": a burst of agents larger than {@code --capacity} against a
 * control plane process with a small heap. It sheds with 503 + Retry-After, keeps answering
 * {@code /healthz}, runs out of nothing, every agent converges after the burst (registered, and
 * running the current snapshot, also after a policy edit), and SIGTERM saves the registry.
 */
class OverloadTest {

  static final int CAPACITY = 20;
  static final int AGENTS = 60;

  @TempDir Path tmp;

  @Test
  void aBurstBeyondCapacityIsShedAndEveryAgentConvergesAfterIt() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Files.writeString(policies.resolve("mesh.yaml"), peerAuthentication("before"));
    List<TestAgent> agents = new ArrayList<>();
    try (ControlPlaneProcess cp =
        ControlPlaneProcess.start(
            policies, tmp.resolve("data"), "64m", "--capacity", Integer.toString(CAPACITY), "--heartbeat", "1s",
            "--ttl", "6s")) {
      AtomicInteger healthFailures = new AtomicInteger();
      AtomicInteger healthChecks = new AtomicInteger();
      Thread health =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  try {
                    HttpResponse<String> r = cp.get("/healthz");
                    healthChecks.incrementAndGet();
                    if (r.statusCode() != 200) {
                      healthFailures.incrementAndGet();
                    }
                    Thread.sleep(100);
                  } catch (InterruptedException e) {
                    return;
                  } catch (Exception e) {
                    healthFailures.incrementAndGet();
                  }
                }
              },
              "healthz");
      health.start();

      // the burst: every agent at once, three times the capacity
      for (int i = 0; i < AGENTS; i++) {
        agents.add(new TestAgent(cp.base, "svc-" + (i % 6), "127.3.0." + (i + 1), tmp.resolve("cache")));
      }
      agents.forEach(TestAgent::start);

      RunningControlPlane.eventually(Duration.ofSeconds(60), "every agent registered and served the snapshot",
          () -> agentsListed(cp) == AGENTS && agents.stream().allMatch(a -> a.activeVersion() != null));
      Map<String, Object> load = cp.json("/v1/load");
      System.out.println("after the burst: " + load);
      assertThat(((Number) load.get("shed")).longValue()).as("calls shed with 503").isPositive();

      // after the burst, a change still reaches every agent
      HttpResponse<String> edit = cp.post("/v1/policy?file=mesh.yaml", peerAuthentication("after"));
      assertThat(edit.statusCode()).as(edit.body()).isEqualTo(200);
      RunningControlPlane.eventually(Duration.ofSeconds(60), "every agent to run the edited policy",
          () -> agents.stream().allMatch(a -> a.json().contains("\"after\"")));
      RunningControlPlane.eventually(Duration.ofSeconds(30), "every agent still registered",
          () -> agentsListed(cp) == AGENTS);

      health.interrupt();
      health.join(5_000);
      System.out.println("healthz: " + healthChecks.get() + " checks, " + healthFailures.get() + " failed");
      assertThat(healthFailures.get()).as("/healthz always answered 200").isZero();
      assertThat(healthChecks.get()).isPositive();
      assertThat(cp.log).noneMatch(l -> l.contains("OutOfMemoryError"));
      assertThat(cp.process.isAlive()).isTrue();

      // SIGTERM: the registry is saved and the process exits
      cp.process.destroy();
      assertThat(cp.process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
      String saved = Files.readString(tmp.resolve("data").resolve("registry.json"));
      for (TestAgent a : agents) {
        assertThat(saved).contains(a.id);
      }
    } finally {
      for (TestAgent a : agents) {
        a.loop.stop();
      }
    }
  }

  private static int agentsListed(ControlPlaneProcess cp) {
    try {
      return ((List<?>) cp.json("/v1/agents").get("agents")).size();
    } catch (Exception e) {
      return -1; // shed or busy: ask again
    }
  }

  static String peerAuthentication(String marker) {
    return "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: default\n"
        + "  annotations:\n    test/marker: \"" + marker + "\"\nspec:\n  mtls:\n    mode: PERMISSIVE\n";
  }
}
