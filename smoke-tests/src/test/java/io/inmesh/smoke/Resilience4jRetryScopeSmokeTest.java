package io.inmesh.smoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
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
 * The probe (apps/RetryScopeProbeApp) prints what it saw; one JVM serves every assertion.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Resilience4jRetryScopeSmokeTest {
  final Map<String, String[]> scenarios = new LinkedHashMap<>();
  String done;
  Proc probe;

  @BeforeAll
  void runProbe() throws Exception {
    // no control plane: the instrumentation does not depend on policy
    probe = Smoke.meshed("retry-scope-probe", Map.of("INMESH_ADMIN_ADDRESS", "127.0.7.90"), Smoke.LOGS.resolve("retry-scope"), Smoke.plainAppWithLibraries("RetryScopeProbeApp"));
    assertThat(probe.awaitOutput("SCOPE-DONE", Duration.ofSeconds(90))).as("probe finished\n" + probe.tail(40)).isTrue();
    for (String line : probe.output().lines().toList()) {
      if (line.startsWith("SCOPE ")) {
        // SCOPE <scenario> attempts=<..> after=<..> outcome=<..>
        String[] parts = line.split(" ", 5);
        scenarios.put(parts[1], new String[] {value(parts[2]), value(parts[3]), value(parts[4])});
      } else if (line.startsWith("SCOPE-DONE")) {
        done = line;
      }
    }
  }

  @AfterAll
  void stop() {
    if (probe != null) {
      probe.stop();
    }
  }

  private static String value(String kv) {
    return kv.substring(kv.indexOf('=') + 1);
  }

  private void assertScenario(String name, String attempts, String outcome) {
    assertThat(scenarios).as(probe.tail(60)).containsKey(name);
    String[] s = scenarios.get(name);
    assertThat(s[0]).as(name + ": active during each attempt").isEqualTo(attempts);
    assertThat(s[1]).as(name + ": active after the execution ended").isEqualTo("false");
    assertThat(s[2]).as(name + ": outcome").isEqualTo(outcome);
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
    assertThat(done).isEqualTo("SCOPE-DONE failures=1000 leaked=false");
  }
}
