package io.inmesh.bench.report;

import io.inmesh.bench.measure.BenchResults;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Startup to first served request of one app, per variant, over rounds; overhead = median − no agent's median. */
public final class StartupFigures {
  public final String app;
  public final Map<String, Spread> byVariant = new LinkedHashMap<>();

  public StartupFigures(String app, List<BenchResults.Startup> startups) {
    this.app = app;
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

  public static Map<String, StartupFigures> of(BenchResults results) {
    Map<String, StartupFigures> m = new LinkedHashMap<>();
    for (BenchResults.Startup s : results.startups) {
      m.computeIfAbsent(s.app(), a -> new StartupFigures(a, results.startups));
    }
    return m;
  }
}
