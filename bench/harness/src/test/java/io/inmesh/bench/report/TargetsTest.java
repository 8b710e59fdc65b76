package io.inmesh.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TargetsTest {

  @Test
  void metOnTheMedianAndSaysHowManyRoundsCrossTheLimit() {
    Targets.Target t = Targets.check("x", "jdk", List.of(10.0, 12.0, 30.0, 9.0, 11.0), "rounds", 20, "µs", "");
    assertThat(t.met()).isTrue();
    assertThat(t.value()).isEqualTo(11.0);
    assertThat(t.crossing()).isEqualTo(1);
    assertThat(t.result()).startsWith("**met** — 1 of 5 rounds over the limit (range 9.00–30.0 µs)");
  }

  @Test
  void missedOnTheMedianAndSaysHowManyRoundsAreWithinIt() {
    Targets.Target t = Targets.check("x", "jdk", List.of(25.0, 18.0, 30.0, 22.0, 40.0), "rounds", 20, "µs", "");
    assertThat(t.met()).isFalse();
    assertThat(t.crossing()).isEqualTo(1);
    assertThat(t.result()).startsWith("**not met** — over by 5.00 µs (1.25× the limit); 1 of 5 rounds within the limit");
  }

  @Test
  void noLimitIsNotMeasuredRatherThanMet() {
    Targets.Target t = Targets.check("x", "jdk", List.of(1.0), "rounds", Double.NaN, "µs", "no sidecar mode in this run");
    assertThat(t.met()).isNull();
    assertThat(t.result()).isEqualTo("not measured: no sidecar mode in this run");
  }

  @Test
  void startUpTargetsNameTheirFloorsFromTheSameRun() {
    List<io.inmesh.bench.measure.BenchResults.Startup> starts = new java.util.ArrayList<>();
    for (int round = 1; round <= 3; round++) {
      starts.add(new io.inmesh.bench.measure.BenchResults.Startup("jdk", "baseline", round, 200));
      starts.add(new io.inmesh.bench.measure.BenchResults.Startup("jdk", "otel", round, 3200));
      starts.add(new io.inmesh.bench.measure.BenchResults.Startup("jdk", "inmesh", round, 950));
      starts.add(new io.inmesh.bench.measure.BenchResults.Startup("jdk", "bb-floor", round, 500));
      starts.add(new io.inmesh.bench.measure.BenchResults.Startup("jdk", "inmesh-traced", round, 3000));
      starts.add(new io.inmesh.bench.measure.BenchResults.Startup("jdk", "otel-lean", round, 2300));
      starts.add(new io.inmesh.bench.measure.BenchResults.Startup("jdk", "otel-bare", round, 1700));
    }
    java.util.Map<String, StartupFigures> fig = StartupFigures.of(starts);
    List<Targets.Target> t = Targets.evaluate(new io.inmesh.bench.measure.BenchResults(), java.util.Map.of(), fig, java.util.Map.of(), List.of());
    Targets.Target mesh = t.stream().filter(x -> x.what().startsWith("mesh profile (inmesh) start-up to first served")).findFirst().orElseThrow();
    assertThat(mesh.met()).isTrue(); // 750 ms ≤ 0.25 × 3000
    assertThat(mesh.detail()).contains("floors: bb-floor 0.10×");
    Targets.Target traced = t.stream().filter(x -> x.what().startsWith("traced profile (inmesh-traced) start-up to first served")).findFirst().orElseThrow();
    assertThat(traced.met()).isFalse(); // 2800 ms > 0.6 × 3000
    assertThat(traced.detail()).contains("floors: otel-bare 0.50×, otel-lean 0.70×");
  }
}
