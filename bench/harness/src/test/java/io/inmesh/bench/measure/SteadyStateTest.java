package io.inmesh.bench.measure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SteadyStateTest {
  private static BenchResults.Latency slice(double p50, double p99) {
    return new BenchResults.Latency(p50, p99, p99, p99, p99, 1000);
  }

  @Test
  void flatSlicesAreSteady() {
    assertThat(SteadyState.reached(List.of(slice(900, 9000), slice(400, 3000), slice(410, 3100), slice(395, 2900)))).isTrue();
  }

  @Test
  void tooFewSlicesAreNot() {
    assertThat(SteadyState.reached(List.of(slice(400, 3000), slice(400, 3000)))).isFalse();
  }

  @Test
  void aMedianStillFallingIsNot() {
    // JIT still compiling: 600 → 500 → 400 µs is a 40 % swing around 500
    assertThat(SteadyState.reached(List.of(slice(600, 3000), slice(500, 3000), slice(400, 3000)))).isFalse();
  }

  @Test
  void aTailSpikeInTheWindowIsNot() {
    assertThat(SteadyState.reached(List.of(slice(400, 3000), slice(400, 12_000), slice(400, 3000)))).isFalse();
  }

  @Test
  void onlyTheLastWindowCounts() {
    List<BenchResults.Latency> s = new ArrayList<>(List.of(slice(5000, 90_000), slice(3000, 50_000)));
    s.addAll(List.of(slice(420, 3000), slice(400, 3500), slice(410, 3200)));
    assertThat(SteadyState.reached(s)).isTrue();
  }
}
