package io.inmesh.bench.scale;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

/**
 * {@code bench/scale/run --flap}: the flapping check of issue 15 ({@link FlapRun}) with its own
 * options; prints the figures and writes them to {@code <out>/report.txt} (control-plane logs under
 * {@code <out>/raw/}).
 */
final class FlapMain {

  static final String USAGE =
      """
      usage: java -jar inmesh-scale.jar --flap --control-jar PATH [options]
        --agents N            simulated agents (default 100)
        --services N          services (default: agents / 10, at least calls + 1)
        --every SECONDS       the control plane is up this long between SIGKILLs (default 3)
        --cycles N            restarts (default 10)
        --control-jar PATH    control-plane/target/inmesh-control.jar
        --control-java PATH   java for the control plane (default: Java 17 if installed, else this java)
        --control-heap SIZE   its -Xmx (default 128m)
        --control-cpu N       core to pin the control plane to with taskset (default -1: no pinning)
        --listen HOST:PORT    where the control plane listens (default 127.0.0.9:15111)
        --out DIR             report directory (default bench/results/flap-<date>)
        --no-settle           kill as soon as the fleet converged, before the control plane has saved
                              registry.json (registrations within its save delay are lost: README)
      """;

  private FlapMain() {}

  static boolean wanted(String[] args) {
    return List.of(args).contains("--flap");
  }

  static void main(String[] args) throws Exception {
    FlapRun.Options o = new FlapRun.Options();
    Path out = Path.of("bench/results/flap-" + LocalDate.now());
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--flap")) {
        continue;
      }
      if (a.equals("--no-settle")) {
        o.settle = false;
        continue;
      }
      if (a.equals("--help") || a.equals("-h")) {
        System.out.println(USAGE);
        return;
      }
      if (i + 1 >= args.length) {
        fail(a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--agents" -> o.agents = positive(a, v);
        case "--services" -> o.services = positive(a, v);
        case "--every" -> {
          try {
            o.everyMillis = Math.round(Double.parseDouble(v) * 1000);
          } catch (NumberFormatException e) {
            fail("--every \"" + v + "\" is not a number of seconds");
          }
          if (o.everyMillis < 500) {
            fail("--every must be at least 0.5 s");
          }
        }
        case "--cycles" -> o.cycles = positive(a, v);
        case "--control-jar" -> o.controlJar = Path.of(v);
        case "--control-java" -> o.controlJava = v;
        case "--control-heap" -> o.controlHeap = v;
        case "--control-cpu" -> o.controlCpu = Integer.parseInt(v);
        case "--listen" -> o.listen = v;
        case "--out" -> out = Path.of(v);
        default -> fail("unknown option " + a + " (with --flap)");
      }
    }
    if (o.controlJar == null || !Files.isRegularFile(o.controlJar)) {
      fail("--control-jar must name the built control plane jar (mvn -pl control-plane -am package)");
    }
    if (o.controlJava == null) {
      Path j17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
      o.controlJava = Files.isExecutable(j17) ? j17.toString() : Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
    o.logs = Files.createDirectories(out.resolve("raw"));
    FlapRun.Result r = new FlapRun(o).run();
    r.print(System.out);
    try (PrintStream report = new PrintStream(Files.newOutputStream(out.resolve("report.txt")), true, StandardCharsets.UTF_8)) {
      r.print(report);
    }
    System.out.println("[flap] wrote " + out.resolve("report.txt"));
    if (!r.problems().isEmpty()) {
      System.exit(1);
    }
  }

  private static int positive(String name, String v) {
    return ScaleMain.positive(name, v, USAGE);
  }

  private static void fail(String message) {
    ScaleMain.fail(message, USAGE);
  }
}
