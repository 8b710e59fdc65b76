package io.inmesh.bench.report;

import io.inmesh.bench.measure.BenchResults;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Startup to first served request of one app, per variant, over rounds; overhead = median − no agent's median. */
public final class StartupFigures {
  public final String app;
  public final Map<String, Spread> byVariant = new LinkedHashMap<>();
  private final List<BenchResults.Startup> starts;

  public StartupFigures(String app, List<BenchResults.Startup> startups) {
    this.app = app;
    this.starts = startups.stream().filter(x -> x.app().equals(app)).toList();
    for (BenchResults.Startup s : startups) {
      if (s.app().equals(app) && !byVariant.containsKey(s.variant())) {
        byVariant.put(s.variant(), Spread.of(startups.stream().filter(x -> x.app().equals(app) && x.variant().equals(s.variant())).map(BenchResults.Startup::millis).toList()));
      }
    }
  }

  public double overhead(String variant) {
    Spread base = byVariant.get("baseline");
    Spread v = byVariant.get(variant);
    if (base == null || v == null) {
      return Double.NaN;
    }
    return v.median() - base.median();
  }

  /** Per round: the variant's start minus the no-agent start of the same round. */
  public java.util.List<Double> perRoundOverhead(String variant) {
    java.util.List<Double> d = new java.util.ArrayList<>();
    for (BenchResults.Startup s : starts) {
      if (s.variant().equals(variant)) {
        for (BenchResults.Startup b : starts) {
          if (b.variant().equals("baseline") && b.round() == s.round()) {
            d.add(s.millis() - b.millis());
          }
        }
      }
    }
    return d;
  }

  public static Map<String, StartupFigures> of(List<BenchResults.Startup> startups) {
    Map<String, StartupFigures> m = new LinkedHashMap<>();
    for (BenchResults.Startup s : startups) {
      m.computeIfAbsent(s.app(), a -> new StartupFigures(a, startups));
    }
    return m;
  }
}
