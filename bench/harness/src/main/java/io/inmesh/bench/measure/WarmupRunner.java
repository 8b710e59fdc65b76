package io.inmesh.bench.measure;

import io.inmesh.bench.BenchOptions;
import io.inmesh.bench.load.LoadResult;
import java.util.ArrayList;
import java.util.List;

/**
 * The warm-up of a freshly started mode: the fixed offered rate in slices, until it has run at least
 * the minimum warm-up and the mode is in steady state ({@link SteadyState}), or the maximum is
 * reached (then the report says the mode never settled).
 */
public final class WarmupRunner {
  private WarmupRunner() {}

  public static BenchResults.Warmup run(BenchOptions opts, RoundRunner runner, ModeSet set) throws InterruptedException {
    double rate = opts.rate.get(set.pair);
    List<BenchResults.Latency> slices = new ArrayList<>();
    long errors = 0;
    double seconds = 0;
    boolean steady = false;
    while (seconds < opts.warmupMaxSeconds) {
      LoadResult r = runner.generator(set).run(rate, opts.warmupSliceSeconds, opts.fixedConnections, 0, 10);
      slices.add(BenchResults.Latency.of(r.latency()));
      errors += r.errors() + r.non2xx();
      seconds += opts.warmupSliceSeconds;
      steady = SteadyState.reached(slices);
      if (seconds >= opts.warmupSeconds && steady) {
        break;
      }
    }
    return new BenchResults.Warmup(set.pair.id, set.mode.id, opts.warmupSliceSeconds, rate, slices, null, errors, steady, seconds);
  }
}
