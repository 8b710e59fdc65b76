package io.inmesh.bench;

import io.inmesh.bench.mode.AppPair;
import io.inmesh.bench.mode.Mode;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** What a run does: the full comparison, or {@code --quick}'s spot check; a few overrides. */
public final class BenchOptions {
  public boolean quick;
  public Path root;
  public Path outDir;
  public String java;
  /** The CPU the harness (the load generator) is pinned to by bench/run, or -1. */
  public int pinCpu = -1;
  public List<AppPair> pairs = new ArrayList<>(List.of(AppPair.JDK, AppPair.SPRING));
  public List<Mode> modes = new ArrayList<>(List.of(Mode.values()));
  public List<AppPair> startupApps = new ArrayList<>(List.of(AppPair.JDK, AppPair.SPRING));
  public Map<AppPair, Integer> rounds = new EnumMap<>(Map.of(AppPair.JDK, 5, AppPair.SPRING, 5));
  public Map<AppPair, Double> rate = new EnumMap<>(Map.of(AppPair.JDK, 1000.0, AppPair.SPRING, 400.0));
  /** Warm-up: at least this long, then until steady (see SteadyState), at most {@link #warmupMaxSeconds}. */
  public double warmupSeconds = 20;
  public double warmupMaxSeconds = 60;
  public double warmupSliceSeconds = 5;
  public double rewarmSeconds = 2;
  public double lightSeconds = 3;
  public double fixedSeconds = 8;
  public int fixedConnections = 8;
  public int saturationSeconds = 3;
  public int saturationConnections = 16;
  public int startupRounds = 3;
  /**
   * Fresh JVMs per pair: the rounds are split over this many starts of every mode's processes (each
   * warmed up again), so one JVM's JIT and heap layout cannot decide a whole run — as JMH forks.
   */
  public int forks = 1;
  public boolean classLoadAnalysis = true;
  public int policyEdits = 20;
  /** Seed of the per-round mode order and of the pauses between route edits; printed and kept in the results. */
  public long seed = System.currentTimeMillis() % 1_000_000;
  /** Re-render the report of an earlier run from its raw/results.json, measuring nothing. */
  public Path reportOnly;
  /** Only the start-up probes: no route propagation, no data-path rounds. */
  public boolean startupOnly;

  public static final String USAGE =
      """
      usage: bench/run [--quick] [--out DIR] [--pairs jdk,spring] [--modes baseline,otel,...] [--rounds N]
                       [--warmup SECONDS] [--rate-jdk N] [--rate-spring N] [--java PATH] [--seed N] [--no-startup | --startup-only]
                       [--forks N] [--startup-rounds N]
             bench/run --report-only bench/results/DATE   (rebuild report.md and charts from its results.json)
        --quick   spot check (< 3 min): JDK pair, baseline/otel/otel-lean/inmesh, short windows, 2 rounds (not to quote)
        default   the full comparison: both pairs, every mode, warm-up until steady (20–60 s), 5 rounds, mode order shuffled per round
        --no-startup  skip the start-up probes (a run about the data path of some modes, e.g. --modes baseline,inmesh,inmesh-mtls,sidecar-mtls)
        --startup-only  only the start-up probes (every start-up variant of the pairs' apps; no data path, no route propagation)
        --forks N  split each pair's rounds over N fresh starts of every mode (default 1: one start, all rounds)
        --startup-rounds N  interleaved starts per start-up variant (default 3)
      """;

  public static BenchOptions parse(String[] args) {
    BenchOptions o = new BenchOptions();
    boolean noStartup = false;
    List<String> a = Arrays.asList(args);
    if (a.contains("--quick")) {
      o.applyQuick();
    }
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--quick" -> {
          // applied first
        }
        case "--root" -> o.root = Path.of(args[++i]).toAbsolutePath();
        case "--out" -> o.outDir = Path.of(args[++i]).toAbsolutePath();
        case "--java" -> o.java = args[++i];
        case "--pin-cpu" -> o.pinCpu = Integer.parseInt(args[++i]);
        case "--pairs" -> {
          o.pairs = new ArrayList<>(Arrays.stream(args[++i].split(",")).map(AppPair::byId).toList());
          o.startupApps = new ArrayList<>(o.pairs);
        }
        case "--modes" -> o.modes = new ArrayList<>(Arrays.stream(args[++i].split(",")).map(Mode::byId).toList());
        case "--rounds" -> {
          int n = Integer.parseInt(args[++i]);
          o.rounds.replaceAll((k, v) -> n);
        }
        case "--warmup" -> {
          o.warmupSeconds = Double.parseDouble(args[++i]);
          o.warmupMaxSeconds = Math.max(o.warmupMaxSeconds, o.warmupSeconds);
        }
        case "--seed" -> o.seed = Long.parseLong(args[++i]);
        case "--forks" -> o.forks = positive("--forks", args[++i]);
        case "--startup-rounds" -> o.startupRounds = positive("--startup-rounds", args[++i]);
        case "--no-startup" -> noStartup = true;
        case "--startup-only" -> o.startupOnly = true;
        case "--report-only" -> o.reportOnly = Path.of(args[++i]).toAbsolutePath();
        case "--rate-jdk" -> o.rate.put(AppPair.JDK, Double.parseDouble(args[++i]));
        case "--rate-spring" -> o.rate.put(AppPair.SPRING, Double.parseDouble(args[++i]));
        case "--help", "-h" -> {
          System.out.print(USAGE);
          System.exit(0);
        }
        default -> throw new IllegalArgumentException("unknown argument " + arg + "\n" + USAGE);
      }
    }
    if (!o.modes.contains(Mode.BASELINE)) {
      o.modes.add(0, Mode.BASELINE);
    }
    if (noStartup) {
      o.startupApps = new ArrayList<>();
    }
    if (o.root == null) {
      o.root = Path.of("").toAbsolutePath();
    }
    if (o.outDir == null) {
      o.outDir = o.root.resolve("bench/results/" + LocalDate.now() + (o.quick ? "-quick" : ""));
    }
    return o;
  }

  private static int positive(String flag, String value) {
    int n;
    try {
      n = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      n = 0;
    }
    if (n < 1) {
      throw new IllegalArgumentException(flag + " wants a whole number ≥ 1, got " + value + "\n" + USAGE);
    }
    return n;
  }

  /** How many of a pair's rounds fork {@code fork} (1-based) runs: the rounds split as evenly as they go, earlier forks taking the remainder. */
  public int roundsInFork(AppPair pair, int fork) {
    int rounds = this.rounds.get(pair);
    int n = forks(pair);
    return rounds / n + (fork <= rounds % n ? 1 : 0);
  }

  /** Forks of a pair: never more than its rounds. */
  public int forks(AppPair pair) {
    return Math.max(1, Math.min(forks, rounds.get(pair)));
  }

  private void applyQuick() {
    quick = true;
    pairs = new ArrayList<>(List.of(AppPair.JDK));
    modes = new ArrayList<>(List.of(Mode.BASELINE, Mode.OTEL, Mode.OTEL_LEAN, Mode.INMESH));
    startupApps = new ArrayList<>(List.of(AppPair.JDK));
    rounds = new EnumMap<>(Map.of(AppPair.JDK, 2, AppPair.SPRING, 1));
    warmupSeconds = 4;
    warmupMaxSeconds = 8;
    warmupSliceSeconds = 1;
    rewarmSeconds = 0.5;
    lightSeconds = 1.5;
    fixedSeconds = 3;
    saturationSeconds = 2;
    startupRounds = 1;
    classLoadAnalysis = false;
    policyEdits = 8;
  }

  /** Modes that run (the skipped ones are only noted). */
  public List<Mode> runnableModes() {
    return modes.stream().filter(m -> m.skipReason == null).toList();
  }

  /** Modes that run on {@code pair}. */
  public List<Mode> runnableModes(io.inmesh.bench.mode.AppPair pair) {
    return modes.stream().filter(m -> m.skipReason(pair) == null).toList();
  }
}
