package io.inmesh.bench.report;

import io.inmesh.bench.measure.BenchResults;
import io.inmesh.bench.mode.AppPair;
import io.inmesh.bench.mode.Mode;
import io.inmesh.bench.proc.Proc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Writes report.md (and its charts) from a run's {@link BenchResults}. */
public final class ReportWriter {
  private final BenchResults r;
  private final Path outDir;
  private final StringBuilder md = new StringBuilder();
  private final List<String> modeOrder = java.util.Arrays.stream(Mode.values()).map(m -> m.id).toList();

  public ReportWriter(BenchResults results, Path outDir) {
    this.r = results;
    this.outDir = outDir;
  }

  public Path write() throws IOException {
    Map<String, Map<String, ModeFigures>> byPair = new LinkedHashMap<>();
    for (AppPair p : AppPair.values()) {
      Map<String, ModeFigures> m = ModeFigures.forPair(r, p.id, modeOrder);
      if (!m.isEmpty()) {
        byPair.put(p.id, m);
      }
    }
    Map<String, StartupFigures> startup = StartupFigures.of(r.startups);
    Map<String, StartupFigures> firstCall = StartupFigures.of(r.firstMeshedCalls);
    List<Double> policy = r.policyEdits.stream().filter(BenchResults.PolicyEdit::enforced).map(BenchResults.PolicyEdit::millis).toList();
    List<Targets.Target> targets = Targets.evaluate(r, byPair, startup, firstCall, policy);

    header();
    for (Map.Entry<String, Map<String, ModeFigures>> e : byPair.entrySet()) {
      pairSection(e.getKey(), e.getValue());
    }
    targetsSection(targets);
    startupSection(startup, firstCall);
    memorySection(byPair);
    policySection();
    warmupSection(byPair);
    ExtraSections.render(outDir, md);
    methodSection();
    commandsSection();
    machineSection();
    notesSection();
    Path file = outDir.resolve("report.md");
    Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
    return file;
  }

  // ---- sections --------------------------------------------------------------------------------

  private void header() {
    String date = r.startedAt == null ? "" : r.startedAt.substring(0, 10);
    md.append("# inmesh benchmark — ").append(date).append(r.quick ? " (quick spot check: NOT steady state)" : " (full run)").append("\n\n");
    if (r.quick) {
      md.append("> **Quick spot check, not steady state**: ").append(r.settings.get("pairs")).append(" pair(s), modes ").append(r.settings.get("modes")).append(", ")
          .append(fmt0(num("warmupSeconds"))).append(" s warm-up per mode, short windows. Use `bench/run` (the full run) for figures to quote.\n\n");
    }
    if (r.finishedAt == null) {
      md.append("> **Incomplete run**: stopped before its end; this report holds the phases that finished (").append(String.join(", ", r.phaseSeconds.keySet())).append(").\n\n");
    }
    md.append(String.format("Load average (1, 5, 15 min) at start **%s**, at end **%s** — a shared 2-core machine. Mode order shuffled every round with seed **%d** (`--seed %d` repeats it).%n%n",
        r.loadAverageAtStart, r.loadAverageAtEnd, r.seed, r.seed));
    md.append("Load generator → frontend → backend, each its own process on its own " + net() + "x, on loopback. Every mode of a pair runs side by side in one invocation; ")
        .append("modes are measured in interleaved rounds, in a new random order each round, so that drift and position effects hit all alike. Figures are `median (min–max)` over rounds; ")
        .append("\"added\" figures are differences to the baseline **of the same round**. One meshed hop (frontend → backend), so \"added\" is per hop. ")
        .append(forks() > 1
            ? String.format("Each pair's rounds are split over **%d forks**: every mode's processes started afresh and warmed up again for each, so that one JVM's JIT and heap layout cannot decide a figure (as JMH's forks). ", forks())
            : "All rounds of a pair run in the same processes (one fork). ")
        .append(String.format("Run took %s (wall clock).%n%n", clock(r.wallSeconds)));
    md.append("Modes:\n\n| mode | what |\n|---|---|\n");
    for (Mode m : Mode.values()) {
      md.append("| ").append(m.id).append(" | ").append(m.description);
      if (r.skipped.containsKey(m.id)) {
        md.append(" — *").append(r.skipped.get(m.id)).append("*");
      } else if (r.settings.get("modes") instanceof List<?> run && !run.contains(m.id)) {
        md.append(" — *not in this run*");
      }
      md.append(" |\n");
    }
    md.append('\n');
  }

  private void pairSection(String pair, Map<String, ModeFigures> modes) {
    AppPair p = AppPair.byId(pair);
    ModeFigures side = modes.get("sidecar");
    ModeFigures base = modes.get("baseline");
    md.append("## ").append(pair.equals("jdk") ? "JDK pair" : "Spring Boot pair").append(" — ").append(p.description).append("\n\n");
    md.append(String.format("Frontend URL `%s`; fixed offered rate %s req/s over %d connections; saturation with wrk, %d connections; %d round(s).%n%n",
        p.frontendPath, fmt0(rateOf(modes)), (int) num("fixedConnections"), (int) num("saturationConnections"), modes.values().iterator().next().rounds.size()));

    md.append("### Main table\n\n");
    md.append("| mode | sequential p50 µs | sequential p99 µs | added p50 µs | added p99 µs | open-loop p50 µs | p99 µs | p99.9 µs | saturation req/s | CPU µs/req | added CPU µs/req | RSS per JVM MB | control plane CPU µs/req | control plane RSS MB (per agent) | errors |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (ModeFigures f : modes.values()) {
      md.append("| **").append(f.mode).append("** | ")
          .append(f.lightP50.format("%.0f")).append(" | ")
          .append(f.lightP99.format("%.0f")).append(" | ")
          .append(f.mode.equals("baseline") ? "–" : f.addedP50.format("%+.0f")).append(" | ")
          .append(f.mode.equals("baseline") ? "–" : f.addedP99.format("%+.0f")).append(" | ")
          .append(f.fixedP50.format("%.0f")).append(" | ")
          .append(f.fixedP99.format("%.0f")).append(" | ")
          .append(f.fixedP999.format("%.0f")).append(" | ")
          .append(f.saturation.format("%.0f")).append(" | ")
          .append(f.cpu.format("%.0f")).append(" | ")
          .append(f.mode.equals("baseline") ? "–" : f.addedCpu.format("%+.0f")).append(" | ")
          .append(f.rssPerJvmMb.format("%.0f")).append(" | ")
          .append(f.controlPlaneCpu.empty() ? "–" : f.controlPlaneCpu.format("%.1f")).append(" | ")
          .append(f.controlPlaneRssMb.empty() ? "–" : f.controlPlaneRssMb.format("%.0f") + String.format(" (%.0f)", f.controlPlaneRssMb.median() / Math.max(1, f.agents))).append(" | ")
          .append(f.errors + f.non2xx).append(" |\n");
    }
    md.append("\n### Added latency, both measures (µs, minus the baseline of the same round)\n\n");
    md.append("| mode | sequential p50 | sequential p99 | open-loop p50 | open-loop p99 | open-loop p99.9 | mesh's own (− otel-lean): sequential p50 | open-loop p50 | open-loop p99 |\n|---|---|---|---|---|---|---|---|---|\n");
    ModeFigures lean = modes.get("otel-lean");
    for (ModeFigures f : modes.values()) {
      if (f.mode.equals("baseline")) {
        continue;
      }
      md.append("| ").append(f.mode).append(" | ").append(f.addedP50.format("%+.0f")).append(" | ").append(f.addedP99.format("%+.0f")).append(" | ")
          .append(f.addedFixedP50.format("%+.0f")).append(" | ").append(f.addedFixedP99.format("%+.0f")).append(" | ").append(f.addedFixedP999.format("%+.0f")).append(" | ");
      if (lean != null && f.mode.startsWith("inmesh")) {
        md.append(Spread.of(f.perRoundMinus(lean, x -> x.light().p50())).format("%+.0f")).append(" | ")
            .append(Spread.of(f.perRoundMinus(lean, x -> x.fixed().p50())).format("%+.0f")).append(" | ")
            .append(Spread.of(f.perRoundMinus(lean, x -> x.fixed().p99())).format("%+.0f")).append(" |\n");
      } else {
        md.append("– | – | – |\n");
      }
    }
    md.append("\n*sequential* = one connection, one call at a time (closed loop); *open-loop* = the fixed offered rate, each latency from the request's intended send time. ")
        .append("p99.9 rests on ~").append(fmt0(rateOf(modes) * num("fixedSeconds") / 1000)).append(" samples per round: read it as a tail indicator.\n");
    md.append("\nLatency is per request through both services (µs). *sequential* = one connection, one call at a time (closed loop); *open-loop* = the fixed offered rate, ")
        .append("latency measured from each request's intended send time (coordinated omission corrected). CPU = utime+stime of every data-path process of the mode ")
        .append("(both JVMs, and the proxies) over the fixed-rate window ÷ requests; the load generator is not included.\n\n");

    md.append("### Ratios (per round, then median (min–max))\n\n");
    md.append("| mode | p50 × baseline | CPU × baseline | throughput × baseline | added p50 ÷ sidecar's | added CPU ÷ sidecar's |");
    boolean hasSideMtls = modes.containsKey("sidecar-mtls");
    if (hasSideMtls) {
      md.append(" added CPU ÷ sidecar-mtls's |");
    }
    md.append("\n|---|---|---|---|---|---|").append(hasSideMtls ? "---|" : "").append('\n');
    for (ModeFigures f : modes.values()) {
      if (f.mode.equals("baseline") || base == null) {
        continue;
      }
      md.append("| ").append(f.mode).append(" | ")
          .append(f.pairedRatio(base, x -> x.light().p50()).format("%.2f×")).append(" | ")
          .append(f.pairedRatio(base, BenchResults.Round::cpuPerRequest).format("%.2f×")).append(" | ")
          .append(f.pairedRatio(base, BenchResults.Round::saturationRps).format("%.2f×")).append(" | ")
          .append(side == null ? "–" : f.pairedAddedRatio(side, x -> x.light().p50()).format("%.2f×")).append(" | ")
          .append(side == null ? "–" : f.pairedAddedRatio(side, BenchResults.Round::cpuPerRequest).format("%.2f×")).append(" |");
      if (hasSideMtls) {
        md.append(' ').append(f.pairedAddedRatio(modes.get("sidecar-mtls"), BenchResults.Round::cpuPerRequest).format("%.2f×")).append(" |");
      }
      md.append('\n');
    }
    md.append('\n');

    md.append("### CPU per request by process (µs, fixed rate; median of rounds)\n\n");
    List<String> roles = rolesPresent(modes);
    md.append("| mode |");
    roles.forEach(x -> md.append(' ').append(x).append(" |"));
    md.append(" data path total | at saturation | control plane (off the data path) | control plane ms CPU/s | data path + control plane | load generator (not counted) |\n|---|");
    roles.forEach(x -> md.append("---|"));
    md.append("---|---|---|---|---|---|\n");
    for (ModeFigures f : modes.values()) {
      md.append("| ").append(f.mode).append(" |");
      for (String role : roles) {
        Spread s = f.cpuByRole.get(role);
        md.append(' ').append(s == null ? "–" : s.format("%.0f")).append(" |");
      }
      md.append(' ').append(f.cpu.format("%.0f")).append(" | ").append(f.saturationCpu.format("%.0f")).append(" | ")
          .append(f.controlPlaneCpu.empty() ? "–" : f.controlPlaneCpu.format("%.1f")).append(" | ")
          .append(f.controlPlaneCpuMsPerSecond.empty() ? "–" : f.controlPlaneCpuMsPerSecond.format("%.1f")).append(" | ")
          .append(f.cpuWithControlPlane.format("%.0f")).append(" | ").append(f.generatorCpu.format("%.0f")).append(" |\n");
    }
    md.append("\nThe control plane serves ").append(modes.values().stream().mapToInt(f -> f.agents).max().orElse(0))
        .append(" agents per inmesh mode here (frontend and backend); its per-agent share is its figure ÷ that count. Its CPU is measured over the same fixed-rate window ")
        .append("(long-poll refreshes, heartbeats, the file scan), per data-path request and per second.\n\n");

    tlsHandshakes(modes);

    md.append("### Fixed-rate details\n\n| mode | offered req/s | achieved req/s | service-time p50 µs (from actual send) | errors / non-2xx | first error |\n|---|---|---|---|---|---|\n");
    for (ModeFigures f : modes.values()) {
      double achieved = f.rounds.stream().mapToDouble(BenchResults.Round::achievedRate).average().orElse(Double.NaN);
      md.append("| ").append(f.mode).append(" | ").append(fmt0(f.rounds.get(0).offeredRate())).append(" | ").append(fmt0(achieved)).append(" | ")
          .append(f.fixedServiceP50.format("%.0f")).append(" | ").append(f.errors).append(" / ").append(f.non2xx).append(" | ")
          .append(f.firstError == null ? "" : "`" + f.firstError.replace("|", "/") + "`").append(" |\n");
    }
    md.append('\n');

    md.append("![latency percentiles per mode, ").append(pair).append(" pair](latency-").append(pair).append(".png)\n\n");
    md.append("![CPU per request per mode, ").append(pair).append(" pair](cpu-").append(pair).append(".png)\n\n");
  }

  /** TLS connections the hop's server side accepted per second of the fixed-rate window, for the modes with TLS on the hop. */
  private void tlsHandshakes(Map<String, ModeFigures> modes) {
    List<ModeFigures> tls = modes.values().stream()
        .filter(f -> f.mode.endsWith("-mtls") && f.rounds.stream().anyMatch(r -> Double.isFinite(r.tlsPerSecond())))
        .toList();
    if (tls.isEmpty()) {
      return;
    }
    md.append("### TLS handshakes on the hop (fixed rate)\n\n| mode | handshakes/s on the server side | counted by |\n|---|---|---|\n");
    for (ModeFigures f : tls) {
      Spread s = Spread.of(f.rounds.stream().map(BenchResults.Round::tlsPerSecond).filter(Double::isFinite).toList());
      md.append("| ").append(f.mode).append(" | ").append(s.format("%.2f")).append(" | ")
          .append(f.mode.startsWith("sidecar") ? "inbound HAProxy `show info` CumSslConns" : "backend agent's `security.tls.inboundConnections` (one per accepted mTLS connection)").append(" |\n");
    }
    md.append("\nBoth designs keep connections alive, so the latency and CPU figures above are steady-state per-request costs with (almost) no handshake in them; ")
        .append("this is how many new TLS connections each design made while measured.\n\n");
  }

  private void targetsSection(List<Targets.Target> targets) {
    md.append("## Targets (from this one run; never asserted)\n\n");
    md.append("Every target by the same rule: its figure is the **median** of its samples (rounds paired with the baseline and the modes compared within the same round; ")
        .append("starts paired by round; the propagation target is a p99 over its edits), it is **met** when that figure is within the limit, and the result says how many ")
        .append("samples fall on the other side of the limit, and their range. A limit that is a multiple of another mode's figure uses that mode's median.\n\n");
    md.append("| target | scope | figure | limit | result |\n|---|---|---|---|---|\n");
    for (Targets.Target t : targets) {
      md.append("| ").append(t.what()).append(" | ").append(t.scope()).append(" | ")
          .append(Double.isNaN(t.value()) ? "–" : t.statistic() + " " + Targets.Target.fmt(t.value()) + " " + t.unit()).append(" | ")
          .append(Double.isNaN(t.limit()) ? "–" : "≤ " + Targets.Target.fmt(t.limit()) + " " + t.unit()).append(" | ")
          .append(t.result()).append(" |\n");
    }
    md.append('\n');
  }

  private void startupSection(Map<String, StartupFigures> startup, Map<String, StartupFigures> firstCall) {
    md.append("## Start-up\n\n");
    md.append("### To the first meshed call\n\n");
    md.append("The frontend app of each pair started against a backend that is already running (with inmesh, registered with its own control plane): ")
        .append("time from the frontend's process start to the first 200 through it, polled every 10 ms. For inmesh that call is resolved by name and routed by the mesh, ")
        .append("from an empty policy cache (a new pod); the other variants call the backend by address. Rounds interleave the variants; overhead = minus the no-agent start of the same round.\n\n");
    startupTable(firstCall);
    md.append("### To the first served request\n\n");
    md.append("The backend app of each pair started alone (nothing else under load), polled every 10 ms on its URL; time from process start to the first 200. ")
        .append("Rounds interleave the variants.\n\n");
    startupTable(startup);
    classLoadSection();
  }

  private void startupTable(Map<String, StartupFigures> figures) {
    // the ratio as the targets judge it: median per-round overhead ÷ the stock agent's median per-round overhead
    md.append("| app | variant | ms to first 200 | overhead vs no agent ms (per round) | overhead ÷ otel's (per-round medians, as the targets) |\n|---|---|---|---|---|\n");
    for (StartupFigures s : figures.values()) {
      for (Map.Entry<String, Spread> e : s.byVariant.entrySet()) {
        md.append("| ").append(s.app).append(" | ").append(e.getKey()).append(" | ").append(e.getValue().format("%.0f")).append(" | ")
            .append(e.getKey().equals("baseline") ? "–" : Spread.of(s.perRoundOverhead(e.getKey())).format("%+.0f")).append(" | ")
            .append(e.getKey().equals("baseline") ? "–" : ratio(Spread.of(s.perRoundOverhead(e.getKey())).median(), Spread.of(s.perRoundOverhead("otel")).median())).append(" |\n");
      }
    }
    md.append('\n');
  }

  private void classLoadSection() {
    if (!r.classLoads.isEmpty()) {
      md.append("### What startup goes to (one start each with `-Xlog:class+load`)\n\n");
      md.append("Uptime (ms) at which milestone classes first loaded; *main class* ≈ when the agent's premain handed over to the application ")
          .append("(`JdkBackend`, or Spring Boot's `JarLauncher`); *inmesh premain* is inmesh's own timing (`INMESH_LOG_LEVEL=debug`). ")
          .append("Logging slows these starts a little.\n\n");
      List<String> marks = new ArrayList<>(io.inmesh.bench.measure.ClassLoadLog.MILESTONES.keySet());
      md.append("| app | variant |");
      marks.forEach(m -> md.append(' ').append(m).append(" |"));
      md.append(" inmesh premain | main class | first 200 | main → first 200 | classes loaded (before main) |\n|---|---|");
      marks.forEach(m -> md.append("---|"));
      md.append("---|---|---|---|---|\n");
      for (BenchResults.ClassLoad c : r.classLoads) {
        md.append("| ").append(c.app()).append(" | ").append(c.variant()).append(" |");
        Map<String, Double> ms = c.milestones() == null ? Map.of() : c.milestones();
        marks.forEach(m -> md.append(' ').append(fmt0(ms.getOrDefault(m, Double.NaN))).append(" |"));
        md.append(' ').append(fmt0(c.inmeshPremainMillis())).append(" | ").append(fmt0(c.mainClassLoadedAtMillis())).append(" | ")
            .append(fmt0(c.firstServedMillis())).append(" | ").append(fmt0(c.firstServedMillis() - c.mainClassLoadedAtMillis())).append(" | ")
            .append(c.total()).append(" (").append(c.beforeMain()).append(") |\n");
      }
      md.append('\n');
      List<String> sources = new ArrayList<>();
      r.classLoads.forEach(c -> c.bySource().keySet().forEach(k -> {
        if (!sources.contains(k)) {
          sources.add(k);
        }
      }));
      sources.sort(Comparator.naturalOrder());
      md.append("Classes loaded, by where from:\n\n| app | variant |");
      sources.forEach(x -> md.append(' ').append(x).append(" |"));
      md.append("\n|---|---|");
      sources.forEach(x -> md.append("---|"));
      md.append('\n');
      for (BenchResults.ClassLoad c : r.classLoads) {
        md.append("| ").append(c.app()).append(" | ").append(c.variant()).append(" |");
        sources.forEach(x -> md.append(' ').append(Objects.requireNonNullElse(c.bySource().get(x), 0)).append(" |"));
        md.append('\n');
      }
      md.append('\n');
    }
    if (!r.setStarts.isEmpty()) {
      md.append("While starting the benchmark sets (other sets idle alongside): ms from process start to first 200 — backend on its own URL, frontend end to end:\n\n");
      md.append("| pair | mode | backend | frontend (through the hop) |\n|---|---|---|---|\n");
      for (BenchResults.SetStart s : r.setStarts) {
        md.append("| ").append(s.pair()).append(" | ").append(s.mode()).append(" | ").append(fmt0(s.backendMillis())).append(" | ").append(fmt0(s.frontendMillis())).append(" |\n");
      }
      md.append('\n');
    }
  }

  private void memorySection(Map<String, Map<String, ModeFigures>> byPair) {
    md.append("## Memory\n\n");
    md.append("Every application JVM runs with the same flags (`").append(String.join(" ", io.inmesh.bench.mode.JvmSettings.APP_FLAGS)).append("`). ")
        .append("VmRSS sampled at the end of each fixed-rate window, MB, median (min–max) over rounds.\n\n");
    md.append("| pair | mode |");
    List<String> roles = new ArrayList<>();
    for (Proc.Role role : Proc.Role.values()) {
      if (role.dataPath) {
        roles.add(role.label);
      }
    }
    roles.forEach(x -> md.append(' ').append(x).append(" |"));
    md.append(" added per JVM vs baseline |\n|---|---|");
    roles.forEach(x -> md.append("---|"));
    md.append("---|\n");
    for (Map.Entry<String, Map<String, ModeFigures>> e : byPair.entrySet()) {
      for (ModeFigures f : e.getValue().values()) {
        md.append("| ").append(e.getKey()).append(" | ").append(f.mode).append(" |");
        for (String role : roles) {
          Spread s = f.rssMbByRole.get(role);
          md.append(' ').append(s == null ? "–" : s.format("%.0f")).append(" |");
        }
        md.append(' ').append(f.mode.equals("baseline") ? "–" : f.addedRssPerJvmMb.format("%+.0f")).append(" |\n");
      }
    }
    md.append('\n');
    boolean anyControl = byPair.values().stream().flatMap(m -> m.values().stream()).anyMatch(f -> !f.controlPlaneRssMb.empty());
    if (anyControl) {
      md.append("The control plane, beside the data path (VmRSS at the end of each fixed-rate window, MB; its own JVM, `")
          .append(String.join(" ", io.inmesh.bench.mode.JvmSettings.CONTROL_PLANE_FLAGS)).append("`):\n\n");
      md.append("| pair | mode | control plane RSS MB | agents | per agent MB | added per JVM incl. its control-plane share MB |\n|---|---|---|---|---|---|\n");
      for (Map.Entry<String, Map<String, ModeFigures>> e : byPair.entrySet()) {
        for (ModeFigures f : e.getValue().values()) {
          if (f.controlPlaneRssMb.empty()) {
            continue;
          }
          double share = f.controlPlaneRssMb.median() / Math.max(1, f.agents);
          md.append("| ").append(e.getKey()).append(" | ").append(f.mode).append(" | ").append(f.controlPlaneRssMb.format("%.0f")).append(" | ").append(f.agents).append(" | ")
              .append(fmt0(share)).append(" | ").append(String.format("%+.0f", f.addedRssPerJvmMb.median() + share)).append(" |\n");
        }
      }
      md.append("\nOne control plane serves every agent of a mesh, so its per-agent share shrinks as the mesh grows; here it serves two.\n\n");
    }
    boolean anySplit = byPair.values().stream().flatMap(m -> m.values().stream()).anyMatch(f -> !f.rssFileMbByRole.isEmpty());
    if (anySplit) {
      md.append("Resident memory of the JVMs split into anonymous memory (heap, metaspace, code, threads…) and file-backed pages ")
          .append("(mapped jars and libraries, e.g. the agent jar), MB, median of rounds (`RssAnon` / `RssFile` of `/proc/<pid>/status`):\n\n");
      md.append("| pair | mode | frontend anon / file | backend anon / file | added per JVM anon / file vs baseline |\n|---|---|---|---|---|\n");
      for (Map.Entry<String, Map<String, ModeFigures>> e : byPair.entrySet()) {
        ModeFigures base = e.getValue().get("baseline");
        for (ModeFigures f : e.getValue().values()) {
          md.append("| ").append(e.getKey()).append(" | ").append(f.mode).append(" | ")
              .append(split(f, Proc.Role.FRONTEND.label)).append(" | ").append(split(f, Proc.Role.BACKEND.label)).append(" | ");
          if (base == null || f == base) {
            md.append("– |\n");
          } else {
            md.append(String.format("%+.0f / %+.0f", jvmMean(f.rssAnonMbByRole) - jvmMean(base.rssAnonMbByRole), jvmMean(f.rssFileMbByRole) - jvmMean(base.rssFileMbByRole))).append(" |\n");
          }
        }
      }
      md.append('\n');
    }
    if (!r.nmt.isEmpty()) {
      md.append("### Native Memory Tracking — the agent's share\n\n");
      md.append("`jcmd <pid> VM.native_memory summary` after the last round: committed MB, and the categories that grew most against the baseline JVM of the same role.\n\n");
      md.append("| pair | mode | JVM | NMT total committed MB | Δ vs baseline MB | largest Δ by category (MB) |\n|---|---|---|---|---|---|\n");
      for (BenchResults.Nmt n : r.nmt) {
        BenchResults.Nmt base = r.nmt.stream().filter(b -> b.pair().equals(n.pair()) && b.mode().equals("baseline") && b.role().equals(n.role())).findFirst().orElse(null);
        Long total = n.committedKb().get("Total");
        md.append("| ").append(n.pair()).append(" | ").append(n.mode()).append(" | ").append(n.role()).append(" | ").append(total == null ? "–" : fmt1(total / 1024.0)).append(" | ");
        if (base == null || n.mode().equals("baseline") || total == null || base.committedKb().get("Total") == null) {
          md.append("– | – |\n");
          continue;
        }
        md.append(String.format("%+.1f", (total - base.committedKb().get("Total")) / 1024.0)).append(" | ");
        List<Map.Entry<String, Long>> deltas = new ArrayList<>();
        for (Map.Entry<String, Long> c : n.committedKb().entrySet()) {
          if (!c.getKey().equals("Total")) {
            deltas.add(Map.entry(c.getKey(), c.getValue() - base.committedKb().getOrDefault(c.getKey(), 0L)));
          }
        }
        deltas.sort((a, b) -> Long.compare(Math.abs(b.getValue()), Math.abs(a.getValue())));
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < Math.min(4, deltas.size()); i++) {
          parts.add(deltas.get(i).getKey() + " " + String.format("%+.1f", deltas.get(i).getValue() / 1024.0));
        }
        md.append(String.join(", ", parts)).append(" |\n");
      }
      md.append('\n');
    }
  }

  private void policySection() {
    md.append("## Route edit → first call on the new route (inmesh)\n\n");
    if (r.policyEdits.isEmpty()) {
      md.append("Not measured (inmesh mode did not run).\n\n");
      return;
    }
    md.append("A JDK frontend with inmesh calls `backend-service`, which has two endpoints, v1 and v2 (each answers with its version); a DestinationRule names the subsets ")
        .append("and the VirtualService sends every call to one. Each edit flips the VirtualService to the other subset — an atomic rewrite in the control plane's policy folder ")
        .append("after a random pause of 0.3–1.3 s (seeded), so edits fall at random moments of the control plane's file scan — and is timed to the end of the first call ")
        .append("through the frontend that the new subset answered (calls sent back to back). Apps otherwise idle.\n\n");
    List<BenchResults.PolicyEdit> es = r.policyEdits;
    List<Double> ms = es.stream().filter(BenchResults.PolicyEdit::enforced).map(BenchResults.PolicyEdit::millis).toList();
    md.append("| edits | took the new route | p50 ms | p90 ms | p99 ms | min–max ms | calls on the old route after the edit (median) |\n|---|---|---|---|---|---|---|\n");
    md.append("| ").append(es.size()).append(" | ").append(ms.size()).append(" | ").append(fmt0(Percentiles.of(ms, 50))).append(" | ").append(fmt0(Percentiles.of(ms, 90))).append(" | ")
        .append(fmt0(Percentiles.of(ms, 99))).append(" | ").append(fmt0(Percentiles.of(ms, 0))).append("–").append(fmt0(Percentiles.of(ms, 100))).append(" | ")
        .append(fmt0(Spread.of(es.stream().map(e -> (double) e.callsBefore()).toList()).median())).append(" |\n\n");
    md.append("Each edit, ms: ");
    List<String> parts = new ArrayList<>();
    for (BenchResults.PolicyEdit e : es) {
      parts.add((e.enforced() ? fmt0(e.millis()) : "not within " + fmt0(e.millis())) + " (→" + e.toSubset() + ")");
    }
    md.append(String.join(", ", parts)).append("\n\n");
  }

  private void warmupSection(Map<String, Map<String, ModeFigures>> byPair) {
    if (r.warmups.isEmpty()) {
      return;
    }
    md.append("## Warm-up phase (reported separately; not part of the figures above)\n\n");
    md.append("Each freshly started mode ran at the fixed offered rate for at least ").append(fmt0(num("warmupSeconds"))).append(" s and then until steady (")
        .append(r.settings.getOrDefault("steadyState", "?")).append("), at most ").append(fmt0(num("warmupMaxSeconds"))).append(" s, before any measurement; ")
        .append("latency (from intended send time) per ").append(fmt0(num("warmupSliceSeconds"))).append(" s slice, `p50 / p99`; last column: the same rate measured later (median of rounds).\n\n");
    for (BenchResults.Warmup w : r.warmups) {
      if (!w.steady()) {
        md.append("- **").append(w.pair()).append(" ").append(w.mode()).append("** was not steady after ").append(fmt0(w.seconds())).append(" s: its rounds include the end of its warm-up.\n");
      }
    }
    md.append('\n');
    int slices = r.warmups.stream().mapToInt(w -> w.slices().size()).max().orElse(0);
    double slice = num("warmupSliceSeconds");
    md.append("| pair | mode | steady after |");
    for (int i = 0; i < slices; i++) {
      md.append(String.format(" %s–%s s |", fmt0(i * slice), fmt0((i + 1) * slice)));
    }
    md.append(" measured later |\n|---|---|---|");
    for (int i = 0; i < slices; i++) {
      md.append("---|");
    }
    md.append("---|\n");
    for (BenchResults.Warmup w : r.warmups) {
      md.append("| ").append(w.pair()).append(" | ").append(w.mode()).append(" | ").append(w.steady() ? fmt0(w.seconds()) + " s" : "not steady (" + fmt0(w.seconds()) + " s)").append(" |");
      for (int i = 0; i < slices; i++) {
        if (i < w.slices().size()) {
          BenchResults.Latency l = w.slices().get(i);
          md.append(' ').append(latency(l.p50())).append(" / ").append(latency(l.p99())).append(" |");
        } else {
          md.append(" – |");
        }
      }
      ModeFigures f = byPair.getOrDefault(w.pair(), Map.of()).get(w.mode());
      md.append(' ').append(f == null ? "–" : latency(f.fixedP50.median()) + " / " + latency(f.fixedP99.median())).append(" |\n");
    }
    md.append('\n');
  }

  private void methodSection() {
    md.append("## How it was measured\n\n");
    md.append("- **Topology**: load generator (" + net() + "2) → frontend JVM (" + net() + "S1:8080) → backend JVM (" + net() + "S2:8080); mode slot S gives each mode its own addresses, ")
        .append("all modes of a pair run at once, idle while another is measured. inmesh modes each have their own control plane (" + net() + "S9:15010), ")
        .append("the frontend calls `http://backend-service/...` and inmesh routes it by the VirtualService. Sidecar modes: frontend → outbound HAProxy (" + net() + "S3:15001) ")
        .append("→ inbound HAProxy (" + net() + "S4:15006) → backend; for sidecar-mtls the proxy-to-proxy leg is TLS with client certificates verified both ways (throwaway ECDSA P-256 CA made with openssl per run).\n");
    md.append("- **Per round, per mode**: re-warm ").append(fmt1(num("rewarmSeconds"))).append(" s at the fixed rate (not recorded); light load ")
        .append(fmt1(num("lightSeconds"))).append(" s (one keep-alive connection, sequential); fixed rate ").append(fmt1(num("fixedSeconds")))
        .append(" s (open loop on HdrHistogram: intended send times on a fixed schedule split over ").append((int) num("fixedConnections"))
        .append(" connections, latency from the intended time); saturation ").append((int) num("saturationSeconds")).append(" s with `wrk -t1 -c")
        .append((int) num("saturationConnections")).append("`.\n");
    md.append("- **CPU**: `/proc/<pid>/stat` utime+stime (clock ticks, all threads) before and after the fixed-rate window, summed over the data-path processes, ÷ completed requests. ")
        .append("The control plane (off the data path) is measured over the same window and shown beside, never inside, the data-path figure; the load generator is not counted (its own CPU/request is shown separately).\n");
    md.append("- **Rounds**: ").append(r.settings.get("rounds")).append(" per pair; every round runs every mode once, in an order shuffled per round (seed ").append(r.seed)
        .append("); the order and each mode's position are in `results.json`.\n");
    md.append("- **otel-lean**: the stock agent given, as `OTEL_*` environment variables, exactly the properties inmesh's distribution supplies (its `AutoConfigurationCustomizerProvider`s, ")
        .append("read out of the benchmarked inmesh jar at run time), so it cannot drift from inmesh's defaults");
    if (r.settings.get("otelLeanEnvironment") instanceof Map<?, ?> lean) {
      md.append(". This run: ");
      List<String> kv = new ArrayList<>();
      lean.forEach((k, v) -> kv.add("`" + k + "=" + v + "`"));
      md.append(String.join(" ", kv));
    }
    md.append(".\n");
    md.append("- **Load generator placement**: ").append(num("pinCpu") >= 0
            ? "the harness (open-loop generator and light-load probe) and wrk are pinned to CPU " + fmt0(num("pinCpu")) + " with taskset; every service process has its affinity reset to all CPUs."
            : "not pinned (taskset missing or a single CPU).").append("\n");
    md.append("- **Memory**: VmRSS from `/proc/<pid>/status` at the end of each fixed-rate window; NMT summary via jcmd after the last round.\n");
    md.append("- **Startup**: time from `fork` of the JVM to the first HTTP 200, polled every 10 ms: to the first meshed call (frontend, backend running) and to the first served request (backend alone).\n");
    md.append("- **Noise**: this is a shared 2-core machine; ratios come from one run with modes interleaved. Nothing here is asserted by any test.\n\n");
  }

  private void commandsSection() {
    md.append("## Exact commands\n\n");
    md.append("Run from the repository root. `$WORK` is the run's work folder (`raw/work-…`: policies, control-plane data, caches, HAProxy configs, PKI); ")
        .append("the run used copies of the jars named here, taken at its start (see *Machine*).\n\n```\n");
    for (String c : r.commands) {
      md.append(c).append('\n');
    }
    md.append("```\n\n");
  }

  private void machineSection() {
    md.append("## Machine\n\n| | |\n|---|---|\n");
    r.machine.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v.replace("|", "/")).append(" |\n"));
    md.append('\n');
  }

  private void notesSection() {
    md.append("## Notes\n\n");
    r.skipped.forEach((k, v) -> md.append("- **").append(k).append("**: ").append(v).append('\n'));
    for (String n : r.notes) {
      md.append("- ").append(n).append('\n');
    }
    if (!r.phaseSeconds.isEmpty()) {
      md.append("- Phase durations: ");
      List<String> parts = new ArrayList<>();
      r.phaseSeconds.forEach((k, v) -> parts.add(k + " " + clock(v)));
      md.append(String.join(", ", parts)).append('\n');
    }
    md.append('\n');
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** The /24 the run's processes had their addresses in (runs before it was recorded used 127.0.0.x). */
  private String net() {
    return String.valueOf(r.settings.getOrDefault("network", "127.0.0."));
  }

  /** Forks of the run (results from before the option have none: one). */
  private int forks() {
    return r.settings.get("forks") instanceof Number n ? n.intValue() : 1;
  }

  private double num(String key) {
    Object v = r.settings.get(key);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static double rateOf(Map<String, ModeFigures> modes) {
    return modes.values().iterator().next().rounds.get(0).offeredRate();
  }

  private static String split(ModeFigures f, String role) {
    Spread a = f.rssAnonMbByRole.get(role);
    Spread fl = f.rssFileMbByRole.get(role);
    return a == null || fl == null ? "–" : String.format("%.0f / %.0f", a.median(), fl.median());
  }

  private static double jvmMean(Map<String, Spread> byRole) {
    Spread a = byRole.get(Proc.Role.FRONTEND.label);
    Spread b = byRole.get(Proc.Role.BACKEND.label);
    return a == null || b == null ? Double.NaN : (a.median() + b.median()) / 2;
  }

  private static List<String> rolesPresent(Map<String, ModeFigures> modes) {
    List<String> roles = new ArrayList<>();
    for (Proc.Role role : Proc.Role.values()) {
      if (role.dataPath && modes.values().stream().anyMatch(f -> f.cpuByRole.containsKey(role.label))) {
        roles.add(role.label);
      }
    }
    return roles;
  }

  public static List<String> rolesFor(Map<String, ModeFigures> modes) {
    return rolesPresent(modes);
  }

  static String ratio(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
      return "–";
    }
    return String.format("%.2f×", a / b);
  }

  /** A latency given in µs, in the unit that reads best. */
  static String latency(double micros) {
    if (Double.isNaN(micros)) {
      return "–";
    }
    if (micros >= 1_000_000) {
      return String.format("%.1f s", micros / 1e6);
    }
    if (micros >= 10_000) {
      return String.format("%.0f ms", micros / 1e3);
    }
    return String.format("%.0f µs", micros);
  }

  static String fmt0(double v) {
    return Double.isNaN(v) ? "–" : String.format("%.0f", v);
  }

  static String fmt1(double v) {
    return Double.isNaN(v) ? "–" : String.format("%.1f", v);
  }

  static String clock(double seconds) {
    return io.inmesh.bench.Progress.clock(seconds);
  }
}
