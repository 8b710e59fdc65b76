package io.inmesh.policy.bind;

import java.time.Duration;

/**
 * Istio's duration syntax: Go's {@code time.ParseDuration} form ({@code 1h}, {@code 1m30s},
 * {@code 500ms}, {@code 1.5s}) which also covers protobuf JSON ({@code 1.500s}). Parsing is linear
 * and allocation-light; values beyond ~290 years are refused rather than wrapped.
 */
public final class Durations {
  private static final long MAX_NANOS = Long.MAX_VALUE / 2;

  private Durations() {}

  /** The duration, or null when the text is not one. */
  public static Duration parse(String s) {
    if (s == null || s.isEmpty() || s.length() > 64) {
      return null;
    }
    int i = 0;
    int n = s.length();
    boolean negative = false;
    if (s.charAt(0) == '-' || s.charAt(0) == '+') {
      negative = s.charAt(0) == '-';
      i++;
    }
    if (i == n) {
      return null;
    }
    if (s.substring(i).equals("0")) {
      return Duration.ZERO;
    }
    double total = 0;
    while (i < n) {
      int start = i;
      while (i < n && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      if (i == start) {
        return null;
      }
      String num = s.substring(start, i);
      if (num.equals(".") || num.indexOf('.') != num.lastIndexOf('.')) {
        return null;
      }
      int unitStart = i;
      while (i < n && !(Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      long unitNanos =
          switch (s.substring(unitStart, i)) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> -1L;
          };
      if (unitNanos < 0) {
        return null;
      }
      double v;
      try {
        v = Double.parseDouble(num);
      } catch (NumberFormatException e) {
        return null;
      }
      total += v * unitNanos;
      if (total > MAX_NANOS) {
        return null;
      }
    }
    long nanos = Math.round(total);
    return Duration.ofNanos(negative ? -nanos : nanos);
  }

  /** Compact text for messages: 1500ms → 1.5s. */
  public static String format(Duration d) {
    if (d == null) {
      return "none";
    }
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
