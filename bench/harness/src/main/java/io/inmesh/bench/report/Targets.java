package io.inmesh.bench.report;

import io.inmesh.bench.measure.BenchResults;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The targets, evaluated from one run's medians (never asserted anywhere): met, not met
 * (with by how much), or not measured (and why).
 */
public final class Targets {
  private Targets() {}

  public record Target(String what, String scope, double value, double limit, String unit, Boolean met, String detail) {
    public String result() {
      if (met == null) {
        return "not measured" + (detail.isEmpty() ? "" : ": " + detail);
      }
      if (met) {
        return "**met**" + (detail.isEmpty() ? "" : " — " + detail);
      }
      String by = String.format("over by %s %s", fmt(value - limit), unit);
      if (limit > 0) {
        by += String.format(" (%.1f× the limit)", value / limit);
      }
      return "**not met** — " + by + (detail.isEmpty() ? "" : "; " + detail);
    }

    static String fmt(double v) {
      return Math.abs(v) >= 100 ? String.format("%.0f", v) : Math.abs(v) >= 10 ? String.format("%.1f", v) : String.format("%.3f", v);
    }
  }

  static Target check(String what, String scope, double value, double limit, String unit, String detail) {
    if (Double.isNaN(value) || Double.isNaN(limit)) {
      return new Target(what, scope, value, limit, unit, null, detail.isEmpty() ? "a mode it needs did not run" : detail);
    }
    return new Target(what, scope, value, limit, unit, value <= limit, detail);
  }

  static Target missing(String what, String scope, String why) {
    return new Target(what, scope, Double.NaN, Double.NaN, "", null, why);
  }

  public static List<Target> evaluate(BenchResults results, Map<String, Map<String, ModeFigures>> byPair, Map<String, StartupFigures> startup, List<Double> policyMillis) {
    List<Target> t = new ArrayList<>();
    for (Map.Entry<String, Map<String, ModeFigures>> e : byPair.entrySet()) {
      String pair = e.getKey();
      Map<String, ModeFigures> m = e.getValue();
      ModeFigures inmesh = m.get("inmesh");
      ModeFigures otel = m.get("otel");
      ModeFigures notrace = m.get("inmesh-notrace");
      ModeFigures sidecar = m.get("sidecar");
      String noSidecar = sidecar == null ? "no sidecar mode in this run" : "";
      double sideP50 = sidecar == null ? Double.NaN : sidecar.addedP50.median() / 1000;
      double sideCpu = sidecar == null ? Double.NaN : sidecar.addedCpu.median();
      if (inmesh != null && otel != null) {
        double own = (inmesh.addedP50.median() - otel.addedP50.median()) / 1000;
        t.add(check("mesh's own added light-load p50 (inmesh − otel) ≤ 0.25 × sidecar pair's added p50", pair, own, 0.25 * sideP50, "ms",
            noSidecar.isEmpty() ? String.format("%.3f ms vs limit %.3f ms (sidecar added %.3f ms)", own, 0.25 * sideP50, sideP50) : noSidecar));
        double ownCpu = inmesh.addedCpu.median() - otel.addedCpu.median();
        t.add(check("mesh's own added CPU/request (inmesh − otel) ≤ 0.25 × sidecar pair's added CPU", pair, ownCpu, 0.25 * sideCpu, "µs",
            noSidecar.isEmpty() ? String.format("%.1f µs vs limit %.1f µs (sidecar added %.1f µs)", ownCpu, 0.25 * sideCpu, sideCpu) : noSidecar));
      }
      if (notrace != null) {
        double p = notrace.addedP50.median() / 1000;
        t.add(check("inmesh-notrace added light-load p50 ≤ 0.5 × sidecar pair's", pair, p, 0.5 * sideP50, "ms",
            noSidecar.isEmpty() ? String.format("%.3f ms vs limit %.3f ms", p, 0.5 * sideP50) : noSidecar));
        double c = notrace.addedCpu.median();
        t.add(check("inmesh-notrace added CPU/request ≤ 0.5 × sidecar pair's", pair, c, 0.5 * sideCpu, "µs",
            noSidecar.isEmpty() ? String.format("%.1f µs vs limit %.1f µs", c, 0.5 * sideCpu) : noSidecar));
      } else {
        t.add(missing("inmesh-notrace added p50 and CPU ≤ 0.5 × sidecar pair's", pair, "inmesh-notrace did not run"));
      }
      if (inmesh != null) {
        double c = inmesh.addedCpu.median();
        t.add(check("inmesh (tracing on) added CPU/request ≤ 1.0 × sidecar pair's", pair, c, sideCpu, "µs",
            noSidecar.isEmpty() ? String.format("%.1f µs vs limit %.1f µs", c, sideCpu) : noSidecar));
        double rss = inmesh.addedRssPerJvmMb.median();
        t.add(check("inmesh resident memory added per JVM ≤ 50 MB (equal -Xmx)", pair, rss, 50, "MB", String.format("%.1f MB", rss)));
      }
      t.add(missing("inmesh-mtls − otel vs sidecar-mtls (p50, CPU ≤ 0.25 ×)", pair, "inmesh has no mTLS yet"));
    }
    for (Map.Entry<String, StartupFigures> e : startup.entrySet()) {
      StartupFigures s = e.getValue();
      double inm = s.overhead("inmesh");
      double ot = s.overhead("otel");
      t.add(check("inmesh startup overhead ≤ 0.5 × the stock OTel agent's", e.getKey() + " app", inm, 0.5 * ot, "ms",
          String.format("inmesh +%.0f ms, otel +%.0f ms → %.2f×", inm, ot, inm / ot)));
    }
    if (!policyMillis.isEmpty()) {
      double p99 = Percentiles.of(policyMillis, 99);
      t.add(check("policy edit → enforced p99 ≤ 1 s", "jdk inmesh", p99, 1000, "ms", String.format("p99 %.0f ms over %d edits", p99, policyMillis.size())));
    } else {
      t.add(missing("policy edit → enforced p99 ≤ 1 s", "-", "inmesh mode did not run"));
    }
    return t;
  }
}
