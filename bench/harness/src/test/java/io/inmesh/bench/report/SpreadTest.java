package io.inmesh.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpreadTest {

  @Test
  void minMedianMaxIgnoringNaN() {
    Spread s = Spread.of(Arrays.asList(3.0, Double.NaN, 1.0, 2.0));
    assertThat(s.min()).isEqualTo(1.0);
    assertThat(s.median()).isEqualTo(2.0);
    assertThat(s.max()).isEqualTo(3.0);
    assertThat(s.n()).isEqualTo(3);
    assertThat(s.format("%.0f")).isEqualTo("2 (1–3)");
    assertThat(Spread.of(List.of(4.0, 1.0)).median()).isEqualTo(2.5);
    assertThat(Spread.of(List.of(5.0)).format("%.1f")).isEqualTo("5.0");
    assertThat(Spread.of(List.of()).format("%.0f")).isEqualTo("–");
  }

  @Test
  void nearestRankPercentiles() {
    List<Double> v = List.of(5.0, 1.0, 4.0, 2.0, 3.0);
    assertThat(Percentiles.of(v, 50)).isEqualTo(3.0);
    assertThat(Percentiles.of(v, 99)).isEqualTo(5.0);
    assertThat(Percentiles.of(v, 0)).isEqualTo(1.0);
    assertThat(Percentiles.of(List.of(), 50)).isNaN();
  }
}
