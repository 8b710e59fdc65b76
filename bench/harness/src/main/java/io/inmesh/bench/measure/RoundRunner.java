package io.inmesh.bench.measure;

import io.inmesh.bench.BenchOptions;
import io.inmesh.bench.load.LoadResult;
import io.inmesh.bench.load.OpenLoopGenerator;
import io.inmesh.bench.load.SequentialProbe;
import io.inmesh.bench.load.WrkRunner;
import io.inmesh.bench.mode.Topology;
import io.inmesh.bench.proc.Proc;
import io.inmesh.bench.proc.ProcStat;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One measured round of one running mode: a short re-warm, light load (one connection,
 * sequential), a fixed offered rate (open loop; CPU and memory sampled over this window), then
 * saturation with wrk.
 */
public final class RoundRunner {
  private final BenchOptions opts;
  private final WrkRunner wrk;
  private final Path rawDir;
  private final InetAddress generatorAddress;

  public RoundRunner(BenchOptions opts, WrkRunner wrk, Path rawDir) throws IOException {
    this.opts = opts;
    this.wrk = wrk;
    this.rawDir = rawDir;
    this.generatorAddress = InetAddress.getByName(Topology.GENERATOR_ADDRESS);
  }

  public OpenLoopGenerator generator(ModeSet set) {
    return new OpenLoopGenerator(set.topo.frontend(), Topology.APP_PORT, set.pair.frontendPath, generatorAddress);
  }

  public interface Step {
    void at(String what, double seconds);
  }

  public BenchResults.Round run(ModeSet set, int round, int position, Step step) throws IOException, InterruptedException {
    double rate = opts.rate.get(set.pair);
    if (opts.rewarmSeconds > 0) {
      step.at("re-warm", opts.rewarmSeconds);
      generator(set).run(rate, opts.rewarmSeconds, opts.fixedConnections, 0, 5);
    }

    step.at("light load (1 connection, sequential)", opts.lightSeconds);
    LoadResult light = new SequentialProbe(set.topo.frontend(), Topology.APP_PORT, set.pair.frontendPath, generatorAddress).run(opts.lightSeconds, 200_000);

    step.at("fixed rate " + (int) rate + "/s (open loop)", opts.fixedSeconds);
    CpuWindow cpu = CpuWindow.begin(set.dataPath());
    CpuWindow controlCpu = set.controlPlane() == null ? null : CpuWindow.begin(java.util.List.of(set.controlPlane().proc()));
    long tlsBefore = set.tlsConnections();
    long fixedStart = System.nanoTime();
    LoadResult fixed = generator(set).run(rate, opts.fixedSeconds, opts.fixedConnections, 0, 5);
    Map<String, Long> cpuMicros = cpu.end();
    double fixedWindowSeconds = (System.nanoTime() - fixedStart) / 1e9;
    long tlsAfter = set.tlsConnections();
    double tlsPerSecond = tlsBefore < 0 || tlsAfter < 0 ? Double.NaN : (tlsAfter - tlsBefore) / fixedWindowSeconds;
    long controlMicros = controlCpu == null ? -1 : controlCpu.end().getOrDefault(Proc.Role.CONTROL_PLANE.label, -1L);
    long controlRssKb = set.controlPlane() == null ? -1 : ProcStat.rssBreakdownKb(set.controlPlane().proc().pid())[0];
    Map<String, Long> rss = new LinkedHashMap<>();
    Map<String, Long> rssAnon = new LinkedHashMap<>();
    Map<String, Long> rssFile = new LinkedHashMap<>();
    for (Proc p : set.dataPath()) {
      long[] kb = ProcStat.rssBreakdownKb(p.pid());
      rss.put(p.role().label, kb[0]);
      rssAnon.put(p.role().label, kb[1]);
      rssFile.put(p.role().label, kb[2]);
    }
    writeHistogram(set, round, "fixed", fixed);
    writeHistogram(set, round, "light", light);

    step.at("saturation (wrk -c" + opts.saturationConnections + ")", opts.saturationSeconds);
    CpuWindow satCpu = CpuWindow.begin(set.dataPath());
    Path wrkOut = rawDir.resolve("wrk").resolve(set.name() + "-r" + round + ".txt");
    Files.createDirectories(wrkOut.getParent());
    WrkRunner.WrkResult sat = wrk.run(set.frontendUrl(), opts.saturationConnections, opts.saturationSeconds, wrkOut);
    Map<String, Long> satMicros = satCpu.end();

    long requests = fixed.completed();
    Map<String, Double> perRole = new LinkedHashMap<>();
    double sum = 0;
    for (Map.Entry<String, Long> e : cpuMicros.entrySet()) {
      if (!e.getKey().equals("generator")) {
        double v = requests == 0 ? Double.NaN : e.getValue() / (double) requests;
        perRole.put(e.getKey(), v);
        sum += v;
      }
    }
    double satSum = satMicros.entrySet().stream().filter(e -> !e.getKey().equals("generator")).mapToLong(Map.Entry::getValue).sum();
    String firstError = fixed.firstError() != null ? fixed.firstError() : light.firstError();
    return new BenchResults.Round(
        set.pair.id,
        set.mode.id,
        round,
        position,
        BenchResults.Latency.of(light.latency()),
        BenchResults.Latency.of(fixed.latency()),
        BenchResults.Latency.of(fixed.serviceTime()),
        rate,
        fixed.achievedRate(),
        fixed.errors() + light.errors(),
        fixed.non2xx() + light.non2xx(),
        sat.requestsPerSecond(),
        sat.non2xx() + sat.socketErrors(),
        perRole,
        sum,
        sat.requests() == 0 ? Double.NaN : satSum / sat.requests(),
        rss,
        rssAnon,
        rssFile,
        requests == 0 ? Double.NaN : cpuMicros.get("generator") / (double) requests,
        firstError,
        controlMicros < 0 || requests == 0 ? Double.NaN : controlMicros / (double) requests,
        controlMicros < 0 ? Double.NaN : controlMicros / 1000.0 / fixedWindowSeconds,
        controlRssKb,
        set.mode.meshed() ? set.jvms().size() : 0,
        tlsPerSecond);
  }

  private void writeHistogram(ModeSet set, int round, String phase, LoadResult r) throws IOException {
    Path f = rawDir.resolve("hist").resolve(set.name() + "-r" + round + "-" + phase + ".hgrm");
    Files.createDirectories(f.getParent());
    try (PrintStream ps = new PrintStream(Files.newOutputStream(f), true, "UTF-8")) {
      ps.println("# " + set.name() + " round " + round + " " + phase + ", values in microseconds");
      r.latency().outputPercentileDistribution(ps, 1000.0);
    }
  }
}
