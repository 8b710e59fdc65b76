package io.inmesh.bench.scale;

import io.inmesh.policy.tree.JsonTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** report.md (the table beside issue 9's targets) and results.json (every figure) for all sizes. */
final class Report {

  static final double TARGET_P99_MS = 1000;
  static final double TARGET_CORES = 1.0;
  static final long TARGET_RSS_KB = 1024 * 1024;
  static final int FILE_LIMIT = 20_000;

  private Report() {}

  static void write(Path out, ScaleRun.Options o, List<ScaleRun.Result> results, List<String> failures)
      throws IOException {
    Map<String, Object> json = json(o, results);
    json.put("didNotConverge", failures);
    Files.writeString(out.resolve("results.json"), JsonTrees.writePretty(json) + "\n");
    StringBuilder md = new StringBuilder(markdown(o, results));
    if (!failures.isEmpty()) {
      md.append("\n## Sizes that did not converge\n\n");
      for (String f : failures) {
        md.append("- ").append(f).append('\n');
      }
    }
    Files.writeString(out.resolve("report.md"), md.toString());
  }

  private static Map<String, Object> json(ScaleRun.Options o, List<ScaleRun.Result> results) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("when", Instant.now().toString());
    root.put("machine", machine());
    root.put("controlPlane", Map.of("java", o.controlJava, "heap", o.controlHeap, "cpu", o.controlCpu));
    root.put("simulatorJava", System.getProperty("java.version"));
    List<Object> sizes = new ArrayList<>();
    for (ScaleRun.Result r : results) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("agents", r.agents());
      m.put("services", r.services());
      m.put("callsPerService", r.calls());
      m.put("convergeSeconds", Propagation.round(r.convergeSeconds()));
      m.put("steadyStateCores", Math.round(r.steadyCores() * 1000) / 1000.0);
      m.put("controlRssMb", r.control().rssKb() / 1024);
      m.put("controlThreads", r.control().threads());
      m.put("controlOpenFiles", r.control().openFiles());
      m.put("simulatorRssMb", r.simulator().rssKb() / 1024);
      m.put("simulatorOpenFiles", r.simulator().openFiles());
      m.put("failedPollsSteadyState", r.failedPollsSteady());
      m.put("failedPollsWholeRun", r.failedPollsTotal());
      m.put("shed503", r.shed());
      List<Object> changes = new ArrayList<>();
      for (Propagation p : r.changes()) {
        changes.add(p.toJson());
      }
      m.put("changes", changes);
      m.put("sigterm", r.sigterm());
      m.put("agentsThatRegisteredAgain", r.reregistered());
      m.put("machineLoadAverageDuringSteadyState", r.loadAverage());
      m.put("controlLoadAtEnd", r.load());
      m.put("controlLoadWhenRampedUp", r.rampLoad());
      m.put("acksCarriedByPolls", r.acksInPolls());
      m.put("repollsSpread", r.repollsSpread());
      m.put("machineLoadAverageAtStart", r.loadAverageAtStart());
      sizes.add(m);
    }
    root.put("sizes", sizes);
    return root;
  }

  private static String markdown(ScaleRun.Options o, List<ScaleRun.Result> results) {
    StringBuilder md = new StringBuilder();
    md.append("# Control plane at fleet scale (issue 9)\n\n");
    md.append("`bench/scale/run` on ").append(machine()).append(", ").append(Instant.now()).append(".\n");
    md.append("Control plane: `").append(o.controlJava).append(" -Xmx").append(o.controlHeap)
        .append(" -jar inmesh-control.jar` pinned to core ").append(o.controlCpu)
        .append("; simulator pinned to the other core, Java ").append(System.getProperty("java.version"))
        .append(", every agent the real `ControlLoop`/`ControlClient` on a virtual thread. Plain HTTP on loopback.\n");
    md.append("Each service has agents/services agents and calls ").append(o.calls)
        .append(" others; a `Sidecar` per service lists exactly those as egress hosts. Heartbeats run throughout")
        .append(" (folded into the view poll, as are acks). Every change is repeated ").append(o.reps)
        .append(" times; percentiles are over every affected agent of every repetition, from just before the")
        .append(" change to the agent's control loop delivering a snapshot that carries it. The simulator collects")
        .append(" its own heap before each repetition and its young generation holds a whole change's deliveries")
        .append(" (`-Xmn768m`): a pause of its one JVM would delay every simulated agent at once, which separate")
        .append(" agent JVMs never do. The control plane's collector is left as the JVM picks it.\n\n");

    md.append("| | target |");
    for (ScaleRun.Result r : results) {
      md.append(' ').append(String.format(Locale.ROOT, "%,d agents / %,d services", r.agents(), r.services())).append(" |");
    }
    md.append("\n|---|---|");
    md.append("---|".repeat(results.size())).append('\n');
    int changes = results.isEmpty() ? 0 : results.get(0).changes().size();
    for (int c = 0; c < changes; c++) {
      md.append("| ").append(results.get(0).changes().get(c).what().replaceAll("\\(svc-[0-9]+, ", "(")
          .replaceAll("of svc-[0-9]+ ", "")).append(": p50 / p99 / max | p99 ≤ 1 s |");
      for (ScaleRun.Result r : results) {
        Propagation p = r.changes().get(c);
        md.append(String.format(Locale.ROOT, " %.0f / **%.0f** / %.0f ms %s", p.p50Ms(), p.p99Ms(), p.maxMs(),
            verdict(p.reached() == p.affected() && p.p99Ms() <= TARGET_P99_MS)));
        if (p.reached() != p.affected()) {
          md.append(" (").append(p.reached()).append(" of ").append(p.affected()).append(" reached)");
        } else {
          md.append(" (").append(p.affected()).append(" agents)");
        }
        if (p.controlMs() >= 0) {
          md.append("; the control plane's last answer written ").append(p.controlMs()).append(" ms after the change");
        }
        if (p.simulatorBusy() >= 0) {
          md.append(String.format(Locale.ROOT, "; from the change to the last agent the simulator's core was %.0f%% busy, the control plane's %.0f%%",
              100 * p.simulatorBusy(), 100 * p.controlBusy()));
        }
        md.append(" |");
      }
      md.append('\n');
    }
    row(md, results, "control plane CPU, steady state (cores)", "≤ 1",
        r -> String.format(Locale.ROOT, "%.3f %s", r.steadyCores(), verdict(r.steadyCores() <= TARGET_CORES)));
    row(md, results, "control plane RSS (peak of steady state and after the changes)", "≤ 1 GB",
        r -> String.format(Locale.ROOT, "%d MB %s", r.control().rssKb() / 1024, verdict(r.control().rssKb() <= TARGET_RSS_KB)));
    row(md, results, "control plane threads", "", r -> Integer.toString(r.control().threads()));
    row(md, results, "control plane open files", "< 20,000",
        r -> String.format(Locale.ROOT, "%,d %s", r.control().openFiles(), verdict(r.control().openFiles() < FILE_LIMIT)));
    row(md, results, "simulator open files", "< 20,000",
        r -> String.format(Locale.ROOT, "%,d %s", r.simulator().openFiles(), verdict(r.simulator().openFiles() < FILE_LIMIT)));
    row(md, results, "failed polls in steady state", "0", r -> Long.toString(r.failedPollsSteady()));
    row(md, results, "failed polls, whole run (incl. ramp-up)", "",
        r -> Long.toString(r.failedPollsTotal()));
    row(md, results, "503s shed", "", r -> Long.toString(r.shed()));
    row(md, results, "ramp-up: all agents registered and served", "",
        r -> String.format(Locale.ROOT, "%.1f s", r.convergeSeconds()));
    row(md, results, "ramp-up: registry changes → view rebuilds (debounced)", "",
        r -> String.format(Locale.ROOT, "%,d → %,d", number(r.rampLoad(), "registryChanges"), number(r.rampLoad(), "rebuilds")));
    row(md, results, "acks carried by view polls (no `POST /v1/ack`), whole run", "", r -> String.format(Locale.ROOT, "%,d", r.acksInPolls()));
    row(md, results, "next polls spread by `X-Inmesh-Repoll-Within` (a large answer wave), whole run", "", r -> String.format(Locale.ROOT, "%,d", r.repollsSpread()));
    row(md, results, "agents that registered more than once (a registration retried, or expired while live)", "0", r -> Long.toString(r.reregistered()));
    row(md, results, "SIGTERM", "saves registry, exits", ScaleRun.Result::sigterm);
    row(md, results, "machine load average (1/5/15 min) before the ramp-up", "",
        r -> r.loadAverageAtStart().split(" ")[0] + " / " + r.loadAverageAtStart().split(" ")[1] + " / " + r.loadAverageAtStart().split(" ")[2]);
    row(md, results, "machine load average (1/5/15 min) after the steady state", "",
        r -> r.loadAverage().split(" ")[0] + " / " + r.loadAverage().split(" ")[1] + " / " + r.loadAverage().split(" ")[2]);
    md.append("\nRaw control-plane logs: `raw/` (not committed). Every figure: `results.json`.\n");
    return md.toString();
  }

  private static void row(StringBuilder md, List<ScaleRun.Result> results, String name, String target,
      java.util.function.Function<ScaleRun.Result, String> cell) {
    md.append("| ").append(name).append(" | ").append(target).append(" |");
    for (ScaleRun.Result r : results) {
      md.append(' ').append(cell.apply(r)).append(" |");
    }
    md.append('\n');
  }

  private static long number(Map<String, Object> m, String key) {
    return m != null && m.get(key) instanceof Number n ? n.longValue() : -1;
  }

  private static String verdict(boolean met) {
    return met ? "✅" : "❌";
  }

  private static String machine() {
    String cpu = "unknown CPU";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).trim();
          break;
        }
      }
    } catch (IOException e) {
      // keep "unknown"
    }
    return Runtime.getRuntime().availableProcessors() + " × " + cpu;
  }
}
