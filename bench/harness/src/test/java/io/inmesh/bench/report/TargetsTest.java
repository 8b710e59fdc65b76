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
}
