package io.inmesh.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inmesh.bench.load.WrkRunner;
import io.inmesh.bench.mesh.RoutePropagation;
import io.inmesh.bench.measure.BenchResults;
import io.inmesh.bench.measure.ModeSet;
import io.inmesh.bench.measure.RoundRunner;
import io.inmesh.bench.measure.StartupProbe;
import io.inmesh.bench.measure.WarmupRunner;
import io.inmesh.bench.mode.AppPair;
import io.inmesh.bench.mode.BenchPaths;
import io.inmesh.bench.mode.Mode;
import io.inmesh.bench.mode.Topology;
import io.inmesh.bench.proc.Launcher;
import io.inmesh.bench.proc.NativeMemory;
import io.inmesh.bench.proc.Proc;
import io.inmesh.bench.report.Machine;
import io.inmesh.bench.report.ReportOutputs;
import io.inmesh.bench.sidecar.Certificates;
import io.inmesh.bench.sidecar.HaproxyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The whole run: startup probes, then per pair: start every mode, warm up, interleaved rounds, NMT, policy edits; then the report. */
public final class BenchRun {
  private final BenchOptions opts;
  private BenchPaths paths;
  private final Path rawDir;
  private final Path workDir;
  private final Launcher launcher;
  private final BenchResults results = new BenchResults();
  private final Progress progress;
  private final WrkRunner wrk;

  public BenchRun(BenchOptions opts) throws IOException {
    this.opts = opts;
    this.paths = BenchPaths.of(opts.root, opts.java);
    Files.createDirectories(opts.outDir);
    deleteRecursively(opts.outDir.resolve("raw"));
    this.rawDir = Files.createDirectories(opts.outDir.resolve("raw"));
    this.workDir = Files.createDirectories(rawDir.resolve("work-" + System.currentTimeMillis()));
    List<String> childAffinity = opts.pinCpu >= 0 ? List.of("taskset", "-c", io.inmesh.bench.proc.Cpus.onlineList()) : List.of();
    List<String> generatorAffinity = opts.pinCpu >= 0 ? List.of("taskset", "-c", Integer.toString(opts.pinCpu)) : List.of();
    this.launcher = new Launcher(rawDir.resolve("logs"), childAffinity);
    this.wrk = new WrkRunner(generatorAffinity);
    this.progress = new Progress(Plan.total(opts), System.out, rawDir.resolve("console.log"));
  }

  public Path run(List<String> argv) throws Exception {
    List<Path> missing = paths.missing();
    if (!missing.isEmpty()) {
      throw new IllegalStateException("missing (run bench/run, which builds them): " + missing);
    }
    Map<String, String> jars = new java.util.LinkedHashMap<>();
    paths = paths.snapshotJars(workDir.resolve("jars"), jars);
    jars.forEach((k, v) -> results.machine.put("jar " + k, v));
    Runtime.getRuntime().addShutdownHook(new Thread(launcher::stopAll, "stop-benchmark-processes"));
    results.startedAt = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
    results.quick = opts.quick;
    results.seed = opts.seed;
    results.loadAverageAtStart = Machine.loadAverage();
    recordSettings();
    if (opts.modes.contains(Mode.OTEL_LEAN)) {
      // fail here, before anything starts, if the settings cannot be read out of the inmesh jar
      results.settings.put("otelLeanEnvironment", io.inmesh.bench.mode.InmeshDistributionSettings.environment(paths.inmeshAgent(), paths.scratchDir().resolve("inmesh-extension")));
    }
    Map<String, String> machine = Machine.describe(paths.java());
    machine.putAll(results.machine);
    results.machine = machine;
    results.commands.add("bench/run " + String.join(" ", argv) + "    # from " + opts.root);
    for (Mode m : opts.modes) {
      if (m.skipReason != null) {
        results.skipped.put(m.id, m.skipReason);
      } else {
        for (AppPair pair : opts.pairs) {
          if (m.skipReason(pair) != null) {
            results.skipped.put(m.id + " (" + pair.id + " pair)", m.skipReason(pair));
          }
        }
      }
    }
    if (opts.quick) {
      results.notes.add("Quick spot check: JDK pair, baseline/otel/inmesh, " + (int) opts.warmupSeconds + " s warm-up — NOT steady state.");
    }
    progress.note("results → " + opts.outDir + "   (raw data and logs under raw/)");
    progress.note(String.format("planned ≈ %s; load generator %s; seed %d (mode order per round, pauses between route edits; --seed %d repeats them); load average %s",
        Progress.clock(Plan.total(opts)), opts.pinCpu >= 0 ? "pinned to CPU " + opts.pinCpu : "not pinned", opts.seed, opts.seed, results.loadAverageAtStart));

    long t0 = System.nanoTime();
    startupPhase();
    results.phaseSeconds.put("startup probes", (System.nanoTime() - t0) / 1e9);
    checkpoint();
    if (opts.modes.contains(Mode.INMESH) && !opts.startupOnly) {
      long tr = System.nanoTime();
      propagationPhase();
      results.phaseSeconds.put("route propagation", (System.nanoTime() - tr) / 1e9);
      checkpoint();
    }
    for (AppPair pair : opts.startupOnly ? List.<AppPair>of() : opts.pairs) {
      long tp = System.nanoTime();
      pairPhase(pair);
      results.phaseSeconds.put(pair.id + " pair", (System.nanoTime() - tp) / 1e9);
      checkpoint();
    }
    results.finishedAt = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
    results.loadAverageAtEnd = Machine.loadAverage();
    results.wallSeconds = progress.elapsedSeconds();
    launcher.stopAll();
    // every process is stopped: the ~100 MB of jar copies have served (their hashes are in the report)
    deleteRecursively(workDir.resolve("jars"));
    return writeOutputs();
  }

  private void recordSettings() {
    Map<String, Object> s = results.settings;
    s.put("quick", opts.quick);
    s.put("network", Topology.NETWORK);
    s.put("warmupSeconds", opts.warmupSeconds);
    s.put("warmupMaxSeconds", opts.warmupMaxSeconds);
    s.put("steadyState", io.inmesh.bench.measure.SteadyState.CRITERION);
    s.put("warmupSliceSeconds", opts.warmupSliceSeconds);
    s.put("rewarmSeconds", opts.rewarmSeconds);
    s.put("lightSeconds", opts.lightSeconds);
    s.put("fixedSeconds", opts.fixedSeconds);
    s.put("fixedConnections", opts.fixedConnections);
    s.put("saturationSeconds", opts.saturationSeconds);
    s.put("saturationConnections", opts.saturationConnections);
    s.put("startupRounds", opts.startupRounds);
    s.put("forks", opts.forks);
    s.put("policyEdits", opts.policyEdits);
    s.put("pinCpu", opts.pinCpu);
    s.put("rates", opts.rate.toString());
    s.put("rounds", opts.rounds.toString());
    s.put("modes", opts.modes.stream().map(m -> m.id).toList());
    s.put("pairs", opts.pairs.stream().map(p -> p.id).toList());
  }

  // ---- startup ---------------------------------------------------------------------------------

  private void startupPhase() throws IOException {
    StartupProbe probe = new StartupProbe(opts, paths, launcher, workDir);
    progress.step("startup probes: control plane for the inmesh starts", 2);
    probe.startControlPlane();
    try {
      for (int round = 1; round <= opts.startupRounds; round++) {
        for (AppPair app : opts.startupApps) {
          for (Mode v : StartupProbe.VARIANTS) {
            progress.step(String.format("startup · %s app · %s · round %d/%d", app.id, v.id, round, opts.startupRounds), Plan.startupSeconds(app, v));
            try {
              double ms = probe.once(app, v, round, List.of(), Map.of(), "");
              results.startups.add(new BenchResults.Startup(app.id, v.id, round, ms));
              progress.note(String.format("%.0f ms to first 200", ms));
            } catch (IOException e) {
              failed("startup " + app.id + " " + v.id + " round " + round, e);
            }
          }
        }
      }
      for (AppPair app : opts.startupApps) {
        progress.step("startup · " + app.id + " app · the running backend the first-meshed-call starts call (inmesh, own control plane)", Plan.startupSeconds(app, Mode.INMESH) + 2);
        try {
          probe.startMeshedBackend(app);
        } catch (IOException e) {
          failed("startup: the running backend for the first-meshed-call starts, " + app.id, e);
          continue;
        }
        for (int round = 1; round <= opts.startupRounds; round++) {
          for (Mode v : StartupProbe.VARIANTS) {
            progress.step(String.format("startup · %s frontend · %s · first call through it · round %d/%d", app.id, v.id, round, opts.startupRounds), Plan.startupSeconds(app, v));
            try {
              double ms = probe.firstMeshedCall(app, v, round);
              results.firstMeshedCalls.add(new BenchResults.Startup(app.id, v.id, round, ms));
              progress.note(String.format("%.0f ms to the first call answered by the backend", ms));
            } catch (IOException e) {
              failed("first meshed call " + app.id + " " + v.id + " round " + round, e);
            }
          }
        }
      }
      if (opts.classLoadAnalysis) {
        for (AppPair app : opts.startupApps) {
          for (Mode v : StartupProbe.VARIANTS) {
            progress.step("startup · " + app.id + " app · " + v.id + " · with -Xlog:class+load (what startup goes to)", Plan.startupSeconds(app, v));
            try {
              BenchResults.ClassLoad c = probe.classLoad(app, v, rawDir);
              results.classLoads.add(c);
              progress.note(String.format("%d classes, main class at %.0f ms, first 200 at %.0f ms", c.total(), c.mainClassLoadedAtMillis(), c.firstServedMillis()));
            } catch (IOException e) {
              failed("class-load start " + app.id + " " + v.id, e);
            }
          }
        }
      }
    } finally {
      probe.stopControlPlane();
    }
  }

  // ---- one pair: all modes side by side --------------------------------------------------------

  private void pairPhase(AppPair pair) throws Exception {
    int forks = opts.forks(pair);
    int rounds = opts.rounds.get(pair);
    java.util.Random order = new java.util.Random(opts.seed * 31 + pair.ordinal());
    int round = 0;
    for (int fork = 1; fork <= forks; fork++) {
      String forkLabel = forks > 1 ? String.format(" · fork %d/%d", fork, forks) : "";
      List<ModeSet> sets = new ArrayList<>();
      try {
        startSets(pair, fork, forkLabel, sets);
        RoundRunner runner = new RoundRunner(opts, wrk, rawDir);
        if (pair == opts.pairs.get(0) && fork == 1) {
          recordCommands(sets);
        }
        for (ModeSet set : sets) {
          progress.step(String.format("%s%s · %s · warm-up %.0f–%.0f s at %.0f req/s, until steady", pair.id, forkLabel, set.mode.id, opts.warmupSeconds, opts.warmupMaxSeconds, opts.rate.get(pair)),
              opts.warmupSeconds + 0.5);
          BenchResults.Warmup w = WarmupRunner.run(opts, runner, set);
          results.warmups.add(w);
          progress.note(String.format("warm-up %.0f s, %s: first slice p50 %.0f µs p99 %.0f µs → last slice p50 %.0f µs p99 %.0f µs%s",
              w.seconds(), w.steady() ? "steady" : "NOT steady at the limit",
              w.slices().get(0).p50(), w.slices().get(0).p99(), w.slices().get(w.slices().size() - 1).p50(), w.slices().get(w.slices().size() - 1).p99(),
              w.errors() > 0 ? ", " + w.errors() + " errors" : ""));
        }
        for (int i = 0; i < opts.roundsInFork(pair, fork); i++) {
          round++;
          runRound(pair, sets, runner, round, rounds, order);
        }
        if (fork == forks) {
          progress.step(pair.id + " · native memory tracking (jcmd)", 2);
          for (ModeSet set : sets) {
            for (Proc p : set.jvms()) {
              Map<String, Long> nmt = NativeMemory.committedKb(paths.jcmd().toString(), p.pid());
              if (!nmt.isEmpty()) {
                results.nmt.add(new BenchResults.Nmt(pair.id, set.mode.id, p.role().label, nmt));
              }
            }
          }
        }
      } finally {
        progress.step(pair.id + forkLabel + " · stopping", 2);
        for (ModeSet s : sets) {
          s.stop();
        }
      }
    }
  }

  /** Starts every runnable mode of the pair (a mode that fails to start is left out, with a note); the baseline must start. */
  private void startSets(AppPair pair, int fork, String forkLabel, List<ModeSet> sets) throws Exception {
    // each fork from a clean folder: a control plane must not restore the previous fork's registry
    Path dir = fork == 1 ? workDir : Files.createDirectories(workDir.resolve("fork-" + fork));
    HaproxyConfig.Tls tls = null;
    for (Mode mode : opts.runnableModes(pair)) {
      if (mode.sidecar == Mode.Sidecar.MTLS && tls == null) {
        tls = Certificates.generate(dir.resolve("pki"), "backend-service");
      }
      ModeSet set = new ModeSet(pair, mode);
      progress.step(pair.id + forkLabel + " · starting " + mode.id, Plan.setStartSeconds(pair, mode));
      try {
        set.start(launcher, paths, dir, tls);
        sets.add(set);
        results.setStarts.add(new BenchResults.SetStart(pair.id, mode.id, set.backendStartMillis, set.frontendStartMillis));
        progress.note(String.format("up: backend %.0f ms, frontend (end to end) %.0f ms", set.backendStartMillis, set.frontendStartMillis));
      } catch (IOException e) {
        failed(pair.id + " " + mode.id + forkLabel + " did not start; the mode is left out", e);
        set.stop();
      }
    }
    if (sets.stream().noneMatch(s -> s.mode == Mode.BASELINE)) {
      throw new IllegalStateException(pair.id + forkLabel + ": the baseline did not start; nothing to compare against");
    }
  }

  private void recordCommands(List<ModeSet> sets) {
    for (ModeSet set : sets) {
      for (Proc p : set.all()) {
        results.commands.add("# " + set.name() + " · " + p.role().label + "\n" + readable(p.shellLine()));
      }
    }
    results.commands.add("# saturation (per mode, pinned like the generator)\n" + String.join(" ", wrk.command(sets.get(0).frontendUrl(), opts.saturationConnections, opts.saturationSeconds)));
    StringBuilder variants = new StringBuilder();
    for (Mode v : StartupProbe.VARIANTS) {
      variants.append(variants.length() == 0 ? "" : ", ").append(StartupProbe.address(v)).append(" (").append(v.id).append(')');
    }
    results.commands.add("# startup probes: the backend command of each pair alone on " + variants + ", the inmesh starts' control plane on .89; "
        + "first meshed call: the frontend command on the same addresses, calling a running inmesh backend on .86 (control plane .88); "
        + "the class-load starts add -Xlog:class+load=info:file=…:uptime and INMESH_LOG_LEVEL=debug");
    results.commands.add("# light load and fixed rate: in-process (io.inmesh.bench.load.SequentialProbe, OpenLoopGenerator), from " + Topology.GENERATOR_ADDRESS);
  }

  /** One round: every mode once, in an order shuffled for the round. */
  private void runRound(AppPair pair, List<ModeSet> sets, RoundRunner runner, int round, int rounds, java.util.Random order) throws Exception {
    List<ModeSet> shuffled = new ArrayList<>(sets);
    java.util.Collections.shuffle(shuffled, order);
    progress.note("round " + round + " order: " + shuffled.stream().map(x -> x.mode.id).toList());
    for (int position = 1; position <= shuffled.size(); position++) {
      ModeSet set = shuffled.get(position - 1);
      if (!set.allAlive()) {
        failed(set.name() + " round " + round, new IOException("a process of the mode exited: " + set.all().stream().filter(p -> !p.alive()).toList()));
        continue;
      }
      BenchResults.Round res = runner.run(set, round, position, (what, secs) ->
          progress.step(String.format("%s · round %d/%d · %s · %s", pair.id, round, rounds, set.mode.id, what), secs + 0.3));
      results.rounds.add(res);
      progress.note(String.format("light p50 %.0f µs p99 %.0f µs | fixed p50 %.0f p99 %.0f p99.9 %.0f µs | %.0f req/s saturated | CPU %.0f µs/req | errors %d",
          res.light().p50(), res.light().p99(), res.fixed().p50(), res.fixed().p99(), res.fixed().p999(), res.saturationRps(), res.cpuPerRequest(),
          res.fixedErrors() + res.fixedNon2xx() + res.saturationErrors()));
    }
  }

  // ---- route propagation ------------------------------------------------------------------------

  private void propagationPhase() {
    RoutePropagation rig = null;
    try {
      rig = new RoutePropagation(launcher, paths, workDir);
      progress.step("route propagation · control plane, backends v1 and v2, frontend (inmesh, JDK apps)", 12);
      rig.start();
      progress.step("route propagation · " + opts.policyEdits + " edits flipping the route v1 ⇄ v2 at random moments", opts.policyEdits * 1.2);
      List<BenchResults.PolicyEdit> edits = rig.measure(opts.policyEdits, opts.seed, 300, 1300, 10);
      results.policyEdits.addAll(edits);
      List<Double> ms = edits.stream().filter(BenchResults.PolicyEdit::enforced).map(BenchResults.PolicyEdit::millis).toList();
      progress.note(String.format("%d/%d took the new route; p50 %.0f ms, p99 %.0f ms", ms.size(), edits.size(),
          io.inmesh.bench.report.Percentiles.of(ms, 50), io.inmesh.bench.report.Percentiles.of(ms, 99)));
    } catch (IOException e) {
      failed("route propagation", e);
    } finally {
      if (rig != null) {
        rig.stop();
      }
    }
  }

  // ---- outputs ---------------------------------------------------------------------------------

  /**
   * results.json so far, after each phase: a run stopped part-way (time limit, Ctrl-C) still leaves
   * what it measured for {@code --report-only}, whose report then says it is incomplete.
   */
  private void checkpoint() throws IOException {
    results.loadAverageAtEnd = Machine.loadAverage();
    results.wallSeconds = progress.elapsedSeconds();
    new ObjectMapper().writeValue(opts.outDir.resolve(ReportOutputs.RESULTS_FILE).toFile(), results);
  }

  private Path writeOutputs() throws IOException {
    // issue 7's retry-amplification line: the chain's figures from the smoke test, as a section file
    String missing = io.inmesh.bench.report.RetryAmplification.writeSection(opts.root, opts.outDir);
    if (missing != null && !results.notes.contains(missing)) {
      results.notes.add(missing);
    }
    // compact, committed beside the report: --report-only DIR rebuilds the report from it alone
    new ObjectMapper().writeValue(opts.outDir.resolve(ReportOutputs.RESULTS_FILE).toFile(), results);
    return ReportOutputs.write(results, opts.outDir);
  }

  /** A command line as the report shows it: repository paths for the jar copies, $WORK for the run's folder, relative to the root. */
  private String readable(String line) {
    String out = line;
    for (String built : BenchPaths.BUILT) {
      Path copy = workDir.resolve("jars").resolve(Path.of(built).getFileName());
      out = out.replace(copy.toString(), built);
    }
    return out.replace(workDir.toString(), "$WORK").replace(opts.root + "/", "");
  }

  /** A previous run's raw data in the same output folder (logs are appended to, so start clean). */
  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private void failed(String what, Exception e) {
    String msg = what + ": " + e.getMessage();
    results.notes.add("**failed** " + msg.replace("\n", " ⏎ ").substring(0, Math.min(600, msg.length())));
    progress.note("FAILED " + msg);
  }
}
