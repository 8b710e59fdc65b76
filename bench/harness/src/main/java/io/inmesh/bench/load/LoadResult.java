package io.inmesh.bench.load;

import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * What one load phase measured. {@code latency} is measured from the intended send time (open loop)
 * or from the actual send (sequential); {@code serviceTime} always from the actual send. Values are
 * in nanoseconds. {@code slices} splits {@code latency} by intended time (for the warm-up phase).
 */
public record LoadResult(
    Histogram latency, Histogram serviceTime, List<Histogram> slices, long ok, long non2xx, long errors, long elapsedNanos, String firstError) {

  public static Histogram newHistogram() {
    return new Histogram(60_000_000_000L, 3);
  }

  public long completed() {
    return ok + non2xx;
  }

  /** A percentile in microseconds. */
  public double micros(double percentile) {
    return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(percentile) / 1000.0;
  }

  public double achievedRate() {
    return elapsedNanos <= 0 ? 0 : completed() * 1e9 / elapsedNanos;
  }

  static void record(Histogram h, long nanos) {
    h.recordValue(Math.min(Math.max(nanos, 0), h.getHighestTrackableValue()));
  }
}
