package io.inmesh.bench;

import io.inmesh.bench.mode.AppPair;
import io.inmesh.bench.mode.Mode;

/** Estimated durations of each step on a 2-core machine, for the ETA (not for any decision). */
public final class Plan {
  private Plan() {}

  public static double startupSeconds(AppPair app, Mode variant) {
    boolean agent = variant.agent != Mode.Agent.NONE;
    return (app == AppPair.JDK ? (agent ? 3 : 0.3) : (agent ? 7 : 3)) + 0.4;
  }

  public static double setStartSeconds(AppPair pair, Mode mode) {
    double perJvm = startupSeconds(pair, mode);
    return 2 * perJvm + (mode.meshed() ? 3 : 0) + (mode.sidecar != Mode.Sidecar.NONE ? 1 : 0);
  }

  public static double roundSeconds(BenchOptions o) {
    return o.rewarmSeconds + o.lightSeconds + o.fixedSeconds + o.saturationSeconds + 1.5;
  }

  public static double total(BenchOptions o) {
    double t = 0;
    for (AppPair app : o.startupApps) {
      for (Mode v : io.inmesh.bench.measure.StartupProbe.VARIANTS) {
        t += 2 * o.startupRounds * startupSeconds(app, v);
        if (o.classLoadAnalysis) {
          t += startupSeconds(app, v);
        }
      }
    }
    for (AppPair pair : o.startupOnly ? java.util.List.<AppPair>of() : o.pairs) {
      for (Mode m : o.runnableModes(pair)) {
        t += o.forks(pair) * (setStartSeconds(pair, m) + o.warmupSeconds + 0.5 + 2) + o.rounds.get(pair) * roundSeconds(o);
      }
    }
    if (o.modes.contains(Mode.INMESH) && !o.startupOnly) {
      t += 12 + o.policyEdits * 1.0;
    }
    return t + 5;
  }
}
