package io.inmesh.bench.measure;

import java.util.List;

/**
 * When a warming-up mode counts as steady: over the last {@link #WINDOW} slices at the fixed rate,
 * the p50 varies by at most {@link #P50_TOLERANCE} of its median and no p99 exceeds {@link
 * #P99_FACTOR} × the smallest (JIT compilation and class loading show up first as tail spikes, then
 * as a falling median).
 */
public final class SteadyState {
  public static final int WINDOW = 3;
  public static final double P50_TOLERANCE = 0.15;
  public static final double P99_FACTOR = 3.0;
  public static final String CRITERION =
      String.format("last %d slices: p50 within ±%.0f%% of their median, every p99 ≤ %.1f× the lowest", WINDOW, P50_TOLERANCE * 100, P99_FACTOR);

  private SteadyState() {}

  public static boolean reached(List<BenchResults.Latency> slices) {
    if (slices.size() < WINDOW) {
      return false;
    }
    List<BenchResults.Latency> last = slices.subList(slices.size() - WINDOW, slices.size());
    double[] p50 = last.stream().mapToDouble(BenchResults.Latency::p50).sorted().toArray();
    double median = p50[p50.length / 2];
    double minP99 = last.stream().mapToDouble(BenchResults.Latency::p99).min().orElse(Double.NaN);
    double maxP99 = last.stream().mapToDouble(BenchResults.Latency::p99).max().orElse(Double.NaN);
    if (Double.isNaN(median) || Double.isNaN(minP99) || median <= 0) {
      return false;
    }
    return p50[0] >= median * (1 - P50_TOLERANCE) && p50[p50.length - 1] <= median * (1 + P50_TOLERANCE) && maxP99 <= P99_FACTOR * minP99;
  }
}
