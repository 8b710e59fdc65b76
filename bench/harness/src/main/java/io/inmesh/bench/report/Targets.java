package io.inmesh.bench.report;

import io.inmesh.bench.measure.BenchResults;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The targets, evaluated from one run (never asserted anywhere), every one by the same rule:
 * the figure is the median of its samples (rounds, or starts; the policy target is a p99 over its
 * edits), it is met when that figure is within the limit, and the result says how many of the
 * samples fall on the other side of the limit and what their range is. A limit that is itself a
 * multiple of another mode's figure uses that mode's median.
 */
public final class Targets {
  private Targets() {}

  /**
   * One target. {@code samples} are the per-round (or per-start, per-edit) values the figure is
   * taken from; {@code value} is their median ({@code statistic} names it otherwise).
   */
  public record Target(
      String what, String scope, double value, double limit, String unit, Boolean met, List<Double> samples, String sampleName, String statistic, String detail) {

    /** How many samples are on the other side of the limit from the figure. */
    public long crossing() {
      if (met == null) {
        return 0;
      }
      return samples.stream().filter(v -> met ? v > limit : v <= limit).count();
    }

    public Spread spread() {
      return Spread.of(samples);
    }

    public String result() {
      if (met == null) {
        return "not measured" + (detail.isEmpty() ? "" : ": " + detail);
      }
      Spread s = spread();
      String across = String.format("%d of %d %s %s the limit (range %s–%s %s)", crossing(), s.n(), sampleName, met ? "over" : "within", fmt(s.min()), fmt(s.max()), unit);
      if (met) {
        return "**met** — " + across + (detail.isEmpty() ? "" : "; " + detail);
      }
      String by = String.format("over by %s %s", fmt(value - limit), unit);
      if (limit > 0) {
        by += String.format(" (%.2f× the limit)", value / limit);
      }
      return "**not met** — " + by + "; " + across + (detail.isEmpty() ? "" : "; " + detail);
    }

    static String fmt(double v) {
      return Math.abs(v) >= 100 ? String.format("%.0f", v) : Math.abs(v) >= 10 ? String.format("%.1f", v) : String.format("%.2f", v);
    }
  }

  static Target check(String what, String scope, List<Double> samples, String sampleName, double limit, String unit, String detail) {
    double value = Spread.of(samples).median();
    if (Double.isNaN(value) || Double.isNaN(limit)) {
      return new Target(what, scope, value, limit, unit, null, samples, sampleName, "median", detail.isEmpty() ? "a mode it needs did not run" : detail);
    }
    return new Target(what, scope, value, limit, unit, value <= limit, samples, sampleName, "median", detail);
  }

  static Target missing(String what, String scope, String why) {
    return new Target(what, scope, Double.NaN, Double.NaN, "", null, List.of(), "", "", why);
  }

  /** A latency measure of a round and its label, µs. */
  private record Measure(String label, ToDoubleFunction<BenchResults.Round> f) {}

  private static final List<Measure> LATENCY =
      List.of(
          new Measure("sequential p50", r -> r.light().p50()),
          new Measure("open-loop p50", r -> r.fixed().p50()),
          new Measure("open-loop p99", r -> r.fixed().p99()));

  public static List<Target> evaluate(BenchResults results, Map<String, Map<String, ModeFigures>> byPair, Map<String, StartupFigures> startup,
      Map<String, StartupFigures> firstCall, List<Double> policyMillis) {
    List<Target> t = new ArrayList<>();
    for (Map.Entry<String, Map<String, ModeFigures>> e : byPair.entrySet()) {
      String pair = e.getKey();
      Map<String, ModeFigures> m = e.getValue();
      ModeFigures inmesh = m.get("inmesh");
      ModeFigures lean = m.get("otel-lean");
      ModeFigures notrace = m.get("inmesh-notrace");
      ModeFigures sidecar = m.get("sidecar");
      String noSidecar = sidecar == null ? "no sidecar mode in this run" : "";
      for (Measure x : LATENCY) {
        double side = sidecar == null ? Double.NaN : Spread.of(sidecar.perRoundAdded(x.f())).median();
        if (inmesh != null && lean != null) {
          t.add(check("mesh's own added " + x.label() + " latency (inmesh − otel-lean) ≤ 0.25 × sidecar pair's added", pair, inmesh.perRoundMinus(lean, x.f()), "rounds",
              0.25 * side, "µs", noSidecar.isEmpty() ? String.format("sidecar added %s µs", Target.fmt(side)) : noSidecar));
        } else {
          t.add(missing("mesh's own added " + x.label() + " latency (inmesh − otel-lean) ≤ 0.25 × sidecar pair's added", pair, "inmesh or otel-lean did not run"));
        }
      }
      double sideCpu = sidecar == null ? Double.NaN : Spread.of(sidecar.perRoundAdded(BenchResults.Round::cpuPerRequest)).median();
      if (inmesh != null && lean != null) {
        t.add(check("mesh's own added CPU/request (inmesh − otel-lean) ≤ 0.25 × sidecar pair's added", pair, inmesh.perRoundMinus(lean, BenchResults.Round::cpuPerRequest),
            "rounds", 0.25 * sideCpu, "µs", noSidecar.isEmpty() ? String.format("sidecar added %s µs", Target.fmt(sideCpu)) : noSidecar));
      }
      if (notrace != null) {
        for (Measure x : LATENCY) {
          double side = sidecar == null ? Double.NaN : Spread.of(sidecar.perRoundAdded(x.f())).median();
          t.add(check("inmesh-notrace added " + x.label() + " latency ≤ 0.5 × sidecar pair's", pair, notrace.perRoundAdded(x.f()), "rounds", 0.5 * side, "µs", noSidecar));
        }
        t.add(check("inmesh-notrace added CPU/request ≤ 0.5 × sidecar pair's", pair, notrace.perRoundAdded(BenchResults.Round::cpuPerRequest), "rounds", 0.5 * sideCpu, "µs", noSidecar));
      } else {
        t.add(missing("inmesh-notrace added latency and CPU ≤ 0.5 × sidecar pair's", pair, "inmesh-notrace did not run"));
      }
      if (inmesh != null) {
        t.add(check("inmesh (tracing on) added CPU/request ≤ 1.0 × sidecar pair's", pair, inmesh.perRoundAdded(BenchResults.Round::cpuPerRequest), "rounds", sideCpu, "µs", noSidecar));
        t.add(check("inmesh resident memory added per JVM ≤ 50 MB (equal -Xmx)", pair, inmesh.perRoundAdded(ModeFigures::rssPerJvmMb), "rounds", 50, "MB", ""));
      }
      leanTargets(t, pair, inmesh, m.get("inmesh-traced"), sidecar, m);
      mtlsTargets(t, pair, m.get("inmesh-mtls"), m.get("sidecar-mtls"));
    }
    startupTargets(t, startup, "start-up to first served request", "first served");
    startupTargets(t, firstCall, "start-up to first meshed call", "first meshed call");
    if (!policyMillis.isEmpty()) {
      double p99 = Percentiles.of(policyMillis, 99);
      t.add(new Target("route edit → first call on the new route, p99 ≤ 1 s", "jdk inmesh", p99, 1000, "ms", p99 <= 1000, policyMillis, "edits", "p99",
          String.format("p99 over %d edits", policyMillis.size())));
    } else {
      t.add(missing("route edit → first call on the new route, p99 ≤ 1 s", "-", "inmesh mode did not run"));
    }
    return t;
  }

  /**
   * Issue 13, per pair: the mesh profile (mode {@code inmesh}) adds ≤ 20 MB RSS per JVM and, per
   * hop, ≤ 0.15 × the sidecar pair's added p50 and CPU per request; the traced profile
   * ({@code inmesh-traced}) adds ≤ 60 MB.
   */
  private static void leanTargets(List<Target> t, String pair, ModeFigures mesh, ModeFigures traced, ModeFigures sidecar, Map<String, ModeFigures> all) {
    if (mesh == null) {
      t.add(missing("mesh profile: added RSS ≤ 20 MB, added p50 and CPU ≤ 0.15 × sidecar pair's", pair, "inmesh did not run"));
    } else {
      t.add(check("mesh profile (inmesh) resident memory added per JVM ≤ 20 MB (equal -Xmx)", pair, mesh.perRoundAdded(ModeFigures::rssPerJvmMb), "rounds", 20, "MB",
          rssFloors(all, MESH_FLOORS)));
      String noSidecar = sidecar == null ? "no sidecar mode in this run" : "";
      for (Measure x : LATENCY) {
        if (x.label().endsWith("p50")) {
          double side = sidecar == null ? Double.NaN : Spread.of(sidecar.perRoundAdded(x.f())).median();
          t.add(check("mesh profile (inmesh) added " + x.label() + " latency ≤ 0.15 × sidecar pair's", pair, mesh.perRoundAdded(x.f()), "rounds", 0.15 * side, "µs",
              noSidecar.isEmpty() ? String.format("sidecar added %s µs", Target.fmt(side)) : noSidecar));
        }
      }
      double sideCpu = sidecar == null ? Double.NaN : Spread.of(sidecar.perRoundAdded(BenchResults.Round::cpuPerRequest)).median();
      t.add(check("mesh profile (inmesh) added CPU/request ≤ 0.15 × sidecar pair's", pair, mesh.perRoundAdded(BenchResults.Round::cpuPerRequest), "rounds", 0.15 * sideCpu, "µs",
          noSidecar.isEmpty() ? String.format("sidecar added %s µs", Target.fmt(sideCpu)) : noSidecar));
    }
    if (traced == null) {
      t.add(missing("traced profile: added RSS ≤ 60 MB", pair, "inmesh-traced did not run"));
    } else {
      t.add(check("traced profile (inmesh-traced) resident memory added per JVM ≤ 60 MB (equal -Xmx)", pair, traced.perRoundAdded(ModeFigures::rssPerJvmMb), "rounds", 60, "MB",
          rssFloors(all, TRACED_FLOORS)));
    }
  }

  /** Issue 13's floor modes: under the mesh profile (inmesh), and under the traced one (inmesh-traced). */
  static final String[] MESH_FLOORS = {"bb-floor"};
  static final String[] TRACED_FLOORS = {"otel-bare", "otel-lean"};

  /** What the floor modes that ran add per JVM (median of rounds), beside a memory target. */
  static String rssFloors(Map<String, ModeFigures> all, String... floorModes) {
    StringBuilder sb = new StringBuilder();
    for (String f : floorModes) {
      ModeFigures m = all.get(f);
      if (m != null) {
        sb.append(sb.length() == 0 ? "floors: " : ", ").append(f).append(String.format(" %+.0f MB", Spread.of(m.perRoundAdded(ModeFigures::rssPerJvmMb)).median()));
      }
    }
    return sb.toString();
  }

  /** Issue 11: in-process mTLS against the HAProxy mTLS pair — added p50 ≤ 0.5×, added CPU ≤ 0.75×. */
  private static void mtlsTargets(List<Target> t, String pair, ModeFigures mtls, ModeFigures sidecarMtls) {
    if (mtls == null || sidecarMtls == null) {
      t.add(missing("inmesh-mtls added latency ≤ 0.5 × and CPU ≤ 0.75 × the sidecar-mtls pair's", pair,
          (mtls == null ? "inmesh-mtls" : "sidecar-mtls") + " did not run on this pair"));
      return;
    }
    for (Measure x : LATENCY) {
      if (x.label().endsWith("p50")) {
        double side = Spread.of(sidecarMtls.perRoundAdded(x.f())).median();
        t.add(check("inmesh-mtls added " + x.label() + " latency ≤ 0.5 × sidecar-mtls pair's", pair, mtls.perRoundAdded(x.f()), "rounds", 0.5 * side, "µs",
            String.format("sidecar-mtls added %s µs", Target.fmt(side))));
      }
    }
    double sideCpu = Spread.of(sidecarMtls.perRoundAdded(BenchResults.Round::cpuPerRequest)).median();
    t.add(check("inmesh-mtls added CPU/request ≤ 0.75 × sidecar-mtls pair's", pair, mtls.perRoundAdded(BenchResults.Round::cpuPerRequest), "rounds", 0.75 * sideCpu, "µs",
        String.format("sidecar-mtls added %s µs", Target.fmt(sideCpu))));
  }

  private static void startupTargets(List<Target> t, Map<String, StartupFigures> figures, String what, String label) {
    for (Map.Entry<String, StartupFigures> e : figures.entrySet()) {
      StartupFigures s = e.getValue();
      // the limit from the stock agent's per-round overheads, as every other limit comes from per-round figures
      double ot = Spread.of(s.perRoundOverhead("otel")).median();
      // issue 13: the mesh profile (mode inmesh) ≤ 0.25×, the traced profile (inmesh-traced) ≤ 0.6×
      for (String[] p : new String[][] {{"inmesh", "mesh profile (inmesh)", "0.25"}, {"inmesh-traced", "traced profile (inmesh-traced)", "0.6"}}) {
        List<Double> overhead = s.perRoundOverhead(p[0]);
        if (overhead.isEmpty()) {
          continue;
        }
        double factor = Double.parseDouble(p[2]);
        StringBuilder floor = new StringBuilder();
        for (String f : p[0].equals("inmesh") ? MESH_FLOORS : TRACED_FLOORS) {
          List<Double> fo = s.perRoundOverhead(f);
          if (!fo.isEmpty() && ot > 0) {
            floor.append(floor.length() == 0 ? "; floors: " : ", ").append(String.format("%s %.2f×", f, Spread.of(fo).median() / ot));
          }
        }
        t.add(check(p[1] + " " + what + ": overhead ≤ " + p[2] + " × the stock OTel agent's", e.getKey() + " app", overhead, "starts", factor * ot, "ms",
            String.format("otel +%.0f ms (median); %s%s", ot, label, floor)));
      }
    }
  }
}
