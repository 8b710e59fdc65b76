package io.inmesh.bench.scale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code java -jar inmesh-scale.jar --agents 1000,3000,10000 --control-jar ... --out DIR}: for each
 * fleet size, a fresh control plane process and that many simulated agents (see {@link ScaleRun}),
 * then one report for all sizes. {@code bench/scale/run} pins this JVM to one core and the control
 * plane to the other.
 */
public final class ScaleMain {

  static final String USAGE =
      """
      usage: java -jar inmesh-scale.jar --control-jar PATH [options]
        --agents N[,N...]     fleet sizes to run, one after the other (default 1000,3000,10000)
        --services N          services (default: agents / 10); every service has agents / services agents
        --calls N             services each service calls (default 5)
        --control-jar PATH    control-plane/target/inmesh-control.jar
        --control-java PATH   java for the control plane (default: Java 17 if installed, else this java)
        --control-heap SIZE   its -Xmx (default 512m)
        --control-cpu N       core to pin the control plane to with taskset (default 0; -1: no pinning)
        --listen HOST:PORT    where the control plane listens (default 127.0.0.9:15110)
        --capacity N          the control plane's --capacity (default: its own default)
        --control-opt OPT     a JVM option for the control plane, repeatable (an A/B: -Dinmesh.control.pollAck=false
                              -Dinmesh.control.rolloutWindowMillis=100 is the protocol and debounce before 2026-12-01)
        --steady SECONDS      steady-state window measured for CPU (default 30)
        --reps N              repetitions of each change (default 2)
        --out DIR             report directory (default bench/results/scale-<date>)
        --flap                the flapping check instead (FlapRun; --flap --help lists its options)
      """;

  private ScaleMain() {}

  public static void main(String[] args) throws Exception {
    if (FlapMain.wanted(args)) { // issue 15: the flapping check (FlapRun), its own options
      FlapMain.main(args);
      return;
    }
    ScaleRun.Options o = new ScaleRun.Options();
    List<Integer> sizes = new ArrayList<>(List.of(1000, 3000, 10000));
    Integer services = null;
    Path out = Path.of("bench/results/scale-" + LocalDate.now());
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        System.out.println(USAGE);
        return;
      }
      if (i + 1 >= args.length) {
        fail(a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--agents" -> {
          sizes.clear();
          for (String s : v.split(",")) {
            sizes.add(positive(a, s));
          }
        }
        case "--services" -> services = positive(a, v);
        case "--calls" -> o.calls = positive(a, v);
        case "--control-jar" -> o.controlJar = Path.of(v);
        case "--control-java" -> o.controlJava = v;
        case "--control-heap" -> o.controlHeap = v;
        case "--control-cpu" -> o.controlCpu = Integer.parseInt(v);
        case "--listen" -> o.listen = v;
        case "--capacity" -> o.capacity = positive(a, v);
        case "--control-opt" -> o.controlOpts.add(v);
        case "--steady" -> o.steadySeconds = positive(a, v);
        case "--reps" -> o.reps = positive(a, v);
        case "--out" -> out = Path.of(v);
        default -> fail("unknown option " + a);
      }
    }
    if (o.controlJar == null || !Files.isRegularFile(o.controlJar)) {
      fail("--control-jar must name the built control plane jar (mvn -pl control-plane -am package)");
    }
    if (o.controlJava == null) {
      Path j17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
      o.controlJava = Files.isExecutable(j17) ? j17.toString() : Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
    if (Runtime.version().feature() < 21) {
      System.out.println("[scale] warning: Java " + Runtime.version().feature()
          + " has no virtual threads; each simulated agent costs two platform threads (run on Java 21+)");
    }
    Files.createDirectories(out.resolve("raw"));
    List<ScaleRun.Result> results = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (int n : sizes) {
      int svc = services != null ? services : Math.max(o.calls + 1, n / 10);
      System.out.printf(Locale.ROOT, "[scale] %d agents, %d services, each calling %d%n", n, svc, o.calls);
      try {
        results.add(new ScaleRun(o, n, svc, out.resolve("raw")).run());
      } catch (ScaleRun.NotConverged e) {
        System.out.println("[scale] " + n + " agents did not converge: " + e.getMessage());
        failures.add(String.format(Locale.ROOT, "%,d agents (%,d services): did not converge within %d s: %s",
            n, svc, 120 + n / 100, e.getMessage()));
      }
    }
    Report.write(out, o, results, failures);
    System.out.println("[scale] wrote " + out.resolve("report.md") + " and " + out.resolve("results.json"));
  }

  private static int positive(String name, String v) {
    return positive(name, v, USAGE);
  }

  /** An option's positive number, or exits with the error and {@code usage} (also FlapMain's options). */
  static int positive(String name, String v, String usage) {
    try {
      int n = Integer.parseInt(v.trim());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // falls through
    }
    fail(name + " \"" + v + "\" must be a positive number", usage);
    return 0;
  }

  private static void fail(String message) {
    fail(message, USAGE);
  }

  static void fail(String message, String usage) {
    System.err.println("inmesh-scale: error: " + message);
    System.err.println(usage);
    System.exit(2);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
