package io.inmesh.bench.measure;

import io.inmesh.bench.BenchOptions;
import io.inmesh.bench.load.LoadResult;
import java.util.List;

/** The warm-up phase of a freshly started mode: the fixed offered rate, latency reported per slice. */
public final class WarmupRunner {
  private WarmupRunner() {}

  public static BenchResults.Warmup run(BenchOptions opts, RoundRunner runner, ModeSet set) throws InterruptedException {
    double rate = opts.rate.get(set.pair);
    LoadResult r = runner.generator(set).run(rate, opts.warmupSeconds, opts.fixedConnections, opts.warmupSliceSeconds, 10);
    List<BenchResults.Latency> slices = r.slices().stream().map(BenchResults.Latency::of).toList();
    return new BenchResults.Warmup(set.pair.id, set.mode.id, opts.warmupSliceSeconds, rate, slices, BenchResults.Latency.of(r.latency()), r.errors() + r.non2xx());
  }
}
