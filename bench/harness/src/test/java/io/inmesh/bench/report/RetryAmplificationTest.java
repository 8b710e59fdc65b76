package io.inmesh.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetryAmplificationTest {
  /** The shape RetryStormSmokeTest writes (one JVM label, two of its scenarios). */
  static final String SMOKE =
      """
      {"java17": {"java": "/usr/bin/java", "requestsPerScenario": 60, "rule": "network errors retried at the hop where they happen",
        "scenarios": [
          {"scenario": "d-down", "policy": "mesh-defaults", "appRetry": true, "requests": 60, "callsToD": 180,
           "callsToDPerRequest": 3.0, "successPercent": 0.0, "callsToB": 180, "callsToC": 180, "naiveCallsToDPerRequest": 9},
          {"scenario": "d-one-in-three", "policy": "retryOn-5xx-every-hop", "appRetry": false, "requests": 60, "callsToD": 90,
           "callsToDPerRequest": 1.5, "successPercent": 100.0, "callsToB": 60, "callsToC": 60, "naiveCallsToDPerRequest": 27}]}}
      """;

  @Test
  void theSmokeTestsFiguresBecomeTheReportsRetryAmplificationSection(@TempDir Path root, @TempDir Path out) throws IOException {
    Path smoke = root.resolve(RetryAmplification.SMOKE_FILE);
    Files.createDirectories(smoke.getParent());
    Files.writeString(smoke, SMOKE);
    assertThat(RetryAmplification.writeSection(root, out)).isNull();
    assertThat(out.resolve(RetryAmplification.SECTION_FILE)).exists();
    StringBuilder md = new StringBuilder();
    ExtraSections.render(out, md);
    assertThat(md.toString())
        .contains("## Retry amplification (issue 7: no retry storms)")
        .contains("| JVM | D | route policy (every hop) | application retry | calls to D per request | naive layering | success % |")
        .contains("| java17 | down | mesh-defaults | 3 tries (Resilience4j) | 3.00 | 9.00 | 0.00 |")
        .contains("| java17 | fails 1 in 3 | retryOn-5xx-every-hop | none | 1.50 | 27.00 | 100 |")
        .contains("Per scenario 60 sequential requests")
        .contains("The rule: network errors retried at the hop where they happen.")
        .contains("Measured with `" + RetryAmplification.COMMAND + "`");
  }

  @Test
  void withoutFiguresTheReportSaysHowToGetThem(@TempDir Path root, @TempDir Path out) throws IOException {
    String note = RetryAmplification.writeSection(root, out);
    assertThat(note).contains(RetryAmplification.SMOKE_FILE).contains("RetryStormSmokeTest");
    assertThat(out.resolve(RetryAmplification.SECTION_FILE)).doesNotExist();
  }
}
