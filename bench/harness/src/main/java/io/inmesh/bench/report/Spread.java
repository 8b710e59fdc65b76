package io.inmesh.bench.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** min / median / max of a few rounds' values (NaN ignored). */
public record Spread(double min, double median, double max, int n) {

  public static Spread of(List<Double> values) {
    List<Double> v = new ArrayList<>();
    for (Double d : values) {
      if (d != null && !d.isNaN() && !d.isInfinite()) {
        v.add(d);
      }
    }
    if (v.isEmpty()) {
      return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
    }
    Collections.sort(v);
    int n = v.size();
    double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    return new Spread(v.get(0), median, v.get(n - 1), n);
  }

  public boolean empty() {
    return n == 0;
  }

  /** "median (min–max)" with the given format for each number; just the value when there is one round. */
  public String format(String fmt) {
    if (n == 0) {
      return "–";
    }
    if (n == 1 || min == max) {
      return String.format(fmt, median);
    }
    return String.format(fmt, median) + " (" + String.format(fmt, min) + "–" + String.format(fmt, max) + ")";
  }
}
