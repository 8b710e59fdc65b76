package io.inmesh.bench.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Nearest-rank percentiles of a small sample (the 20 policy edits). */
public final class Percentiles {
  private Percentiles() {}

  public static double of(List<Double> values, double percentile) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> v = new ArrayList<>(values);
    Collections.sort(v);
    int rank = (int) Math.ceil(percentile / 100.0 * v.size());
    return v.get(Math.min(v.size() - 1, Math.max(0, rank - 1)));
  }
}
