package io.inmesh.smoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The Resilience4j Retry instrumentation (instrumentations/resilience4j-retry) with the agent
 * attached to a real JVM: while a Retry runs a decorated call on a thread the mesh sees an
 * application retry there (io.inmesh.bootstrap.ApplicationRetries), and the scope ends with the
 * execution, whether it succeeds, fails for good, is exhausted on results or is left by an Error.
 * The probe (apps/RetryScopeProbeApp) prints what it saw; two JVMs (advice inlined, and called
 * through invokedynamic as the upstream agent is moving to) serve every assertion.
 */
@Shows(feature = "app-retry", value = {"resilience4j"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Resilience4jRetryScopeSmokeTest {
  /** Per way of applying advice (inlined, and the upstream agent's invokedynamic mode): scenario → [attempts, after, outcome]. */
  final Map<String, Map<String, String[]>> scenarios = new LinkedHashMap<>();
  final Map<String, String> done = new LinkedHashMap<>();
  final Map<String, Proc> probes = new LinkedHashMap<>();

  @BeforeAll
  void runProbes() throws Exception {
    // no control plane: the instrumentation does not depend on policy
    probes.put("inlined", probe("retry-scope-probe", "127.0.7.90"));
    // the upstream agent's coming default: advice called through invokedynamic, not inlined
    probes.put("indy", probe("retry-scope-probe-indy", "127.0.7.91", "-Dotel.javaagent.experimental.indy=true"));
    for (Map.Entry<String, Proc> e : probes.entrySet()) {
      Proc probe = e.getValue();
      assertThat(probe.awaitOutput("SCOPE-DONE", Duration.ofSeconds(150))).as("probe finished\n" + probe.tail(40)).isTrue();
      Map<String, String[]> seen = new LinkedHashMap<>();
      for (String line : probe.output().lines().toList()) {
        if (line.startsWith("SCOPE ")) {
          // SCOPE <scenario> attempts=<..> after=<..> outcome=<..>
          String[] parts = line.split(" ", 5);
          seen.put(parts[1], new String[] {value(parts[2]), value(parts[3]), value(parts[4])});
        } else if (line.startsWith("SCOPE-DONE")) {
          done.put(e.getKey(), line);
        }
      }
      scenarios.put(e.getKey(), seen);
    }
  }

  private static Proc probe(String name, String adminAddress, String... jvmFlags) throws java.io.IOException {
    List<String> cmd = new ArrayList<>(List.of(jvmFlags));
    cmd.addAll(Smoke.plainAppWithLibraries("RetryScopeProbeApp"));
    return Smoke.meshed(name, Map.of("INMESH_ADMIN_ADDRESS", adminAddress), Smoke.LOGS.resolve("retry-scope"), cmd);
  }

  @AfterAll
  void stop() {
    Proc.stopAll(probes.values());
  }

  private static String value(String kv) {
    return kv.substring(kv.indexOf('=') + 1);
  }

  private void assertScenario(String name, String attempts, String outcome) {
    for (String mode : probes.keySet()) {
      Map<String, String[]> seen = scenarios.get(mode);
      assertThat(seen).as(mode + "\n" + probes.get(mode).tail(60)).containsKey(name);
      String[] s = seen.get(name);
      assertThat(s[0]).as(mode + " " + name + ": active during each attempt").isEqualTo(attempts);
      assertThat(s[1]).as(mode + " " + name + ": active after the execution ended").isEqualTo("false");
      assertThat(s[2]).as(mode + " " + name + ": outcome").isEqualTo(outcome);
    }
  }

  @Test
  void inactiveBeforeAnyRetryAndWhenADecoratedCallIsOnlyBuilt() {
    assertScenario("before-any-retry", "", "none");
    assertScenario("decorated-not-yet-called", "", "none");
  }

  @Test
  void activeInsideEveryAttemptAndInactiveAfterSuccess() {
    assertScenario("decorateSupplier-success", "true", "ok");
    assertScenario("executeSupplier-retried-then-success", "true,true,true", "ok");
    assertScenario("decorateFunction-success", "true", "ok");
    assertScenario("decorateCheckedFunction-retried-then-success", "true,true", "returned:ok");
    assertScenario("decorateCheckedConsumer-success", "true", "returned:returned");
    assertScenario("decorateCheckedSupplier-success", "true", "returned:ok");
    assertScenario("decorateCallable-success", "true", "returned:ok");
  }

  @Test
  void inactiveAfterTheFinalAttemptThrows() {
    assertScenario("executeSupplier-final-failure", "true,true,true", "threw:IllegalStateException");
    assertScenario("executeCallable-final-checked-failure", "true,true,true", "threw:IOException");
    assertScenario("executeRunnable-final-failure", "true,true,true", "threw:IllegalStateException");
    assertScenario("decorateConsumer-final-failure", "true,true,true", "threw:IllegalStateException");
    assertScenario("decorateCheckedRunnable-final-failure", "true,true,true", "threw:IllegalStateException");
  }

  @Test
  void inactiveAfterRetriesExhaustedOnAResult() {
    // retryOnResult("503") three times: Retry hands back the last result
    assertScenario("executeCheckedSupplier-exhausted-on-5xx-result", "true,true,true", "returned:503");
  }

  @Test
  void anErrorThatRetryDoesNotCatchStillClosesTheScope() {
    assertScenario("executeSupplier-error-escapes", "true", "threw:AssertionError");
  }

  @Test
  void nestedRetriesKeepTheOuterScopeAfterTheInnerEnds() {
    // inner attempt, then the outer body after the inner execution returned: both active
    assertScenario("nested", "true,true", "inner-ok");
  }

  @Test
  void asynchronousRetriesClaimNoThreadScope() {
    assertScenario("executeCompletionStage-not-scoped", "false", "async-ok");
  }

  @Test
  void twoThousandExecutionsHalfFailingLeaveNoScopeOpen() {
    assertThat(done).hasSize(2).allSatisfy((mode, line) -> assertThat(line).as(mode).isEqualTo("SCOPE-DONE failures=1000 leaked=false"));
  }
}
