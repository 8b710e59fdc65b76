package io.inmesh.bench.scale;

import io.inmesh.policy.tree.JsonTrees;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * One fleet size: a fresh control plane process, N simulated agents ramped up, a steady-state
 * window, then timed changes (a namespace-wide policy edit every agent must get, a VirtualService
 * edit its callers must get, a new endpoint its callers must get), then SIGTERM.
 */
final class ScaleRun {

  static final class Options {
    int calls = 5;
    Path controlJar;
    String controlJava;
    String controlHeap = "512m";
    int controlCpu = 0;
    String listen = "127.0.0.9:15110";
    Integer capacity;
    /** JVM options for the control plane ({@code --control-opt}, repeatable). */
    List<String> controlOpts = new ArrayList<>();
    int steadySeconds = 30;
    int reps = 2;
    /** Agents started per second while ramping up (a rollout, not a thundering herd). */
    int rampPerSecond = 500;
  }

  /** Everything one size measured. */
  record Result(
      int agents, int services, int calls, double convergeSeconds, double steadyCores, ProcStats control,
      ProcStats simulator, long failedPollsSteady, long failedPollsTotal, long shed, List<Propagation> changes,
      String sigterm, Map<String, Object> load, long reregistered, String loadAverage, Map<String, Object> rampLoad,
      long acksInPolls, String loadAverageAtStart, long repollsSpread) {}

  private static final Duration CHANGE_BOUND = Duration.ofSeconds(60);

  private final Options o;
  private final int agents;
  private final int services;
  private final Path raw;
  private final CallGraph graph;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private Process control;
  private final List<SimulatedAgent> fleet = new ArrayList<>();

  ScaleRun(Options o, int agents, int services, Path raw) {
    this.o = o;
    this.agents = agents;
    this.services = services;
    this.raw = raw;
    this.graph = new CallGraph(services, o.calls);
    this.base = "http://" + o.listen;
  }

  Result run() throws Exception {
    Path work = Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"))
        .resolve("inmesh-scale-" + ProcessHandle.current().pid() + "-" + agents);
    ScaleMain.deleteTree(work);
    Path policies = Files.createDirectories(work.resolve("policies"));
    Files.writeString(policies.resolve("sidecars.yaml"), graph.sidecars());
    Files.writeString(policies.resolve("routes.yaml"), graph.routes(-1, ""));
    Files.writeString(policies.resolve("mesh.yaml"), CallGraph.peerAuthentication("start"));
    try {
      startControlPlane(policies, work.resolve("data"));
      return measure(work);
    } finally {
      if (control != null && control.isAlive()) {
        control.destroyForcibly();
      }
      ScaleMain.deleteTree(work);
    }
  }

  private Result measure(Path work) throws Exception {
    ThreadFactory threads = virtualThreads();
    String loadAverageAtStart = Files.readString(Path.of("/proc/loadavg")).trim();
    long t0 = System.nanoTime();
    say("ramping up " + agents + " agents at " + o.rampPerSecond + "/s");
    for (int i = 0; i < agents; i++) {
      SimulatedAgent a = new SimulatedAgent(i % services, address(i), base, work.resolve("cache"), threads);
      fleet.add(a);
      a.start();
      if ((i + 1) % (o.rampPerSecond / 10) == 0) {
        ScaleMain.sleep(100);
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120 + agents / 100);
    long nextReport = System.nanoTime();
    Map<String, Object> rampLoad;
    while (true) {
      long registered = fleet.stream().filter(a -> a.loop.registered() && a.activeVersion() != null).count();
      Map<String, Object> load = load();
      if (System.nanoTime() - nextReport >= 0) {
        nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        say(registered + " agents registered and serving a snapshot; control plane " + load);
      }
      if (registered == agents && ((Number) load.get("agents")).intValue() == agents) {
        rampLoad = load;
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new NotConverged(registered, load);
      }
      ScaleMain.sleep(500);
    }
    double converge = (System.nanoTime() - t0) / 1e9;
    long reregistered = fleet.stream().filter(a -> ((Number) a.loop.stats().get("registrations")).longValue() > 1).count();
    say(String.format(Locale.ROOT, "all %d agents registered and serving a snapshot after %.1f s", agents, converge));
    ScaleMain.sleep(5000); // let the last rebuilds and acks settle before measuring steady state

    long failuresBefore = failures();
    ProcStats before = ProcStats.of(control.pid());
    long start = System.nanoTime();
    say("steady state for " + o.steadySeconds + " s (heartbeats folded into polls, polls held)");
    ScaleMain.sleep(o.steadySeconds * 1000L);
    ProcStats after = ProcStats.of(control.pid());
    double cores = ProcStats.cores(before, after, System.nanoTime() - start);
    long failedSteady = failures() - failuresBefore;
    ProcStats simulator = ProcStats.of(ProcessHandle.current().pid());
    // the machine is shared: its load says how much the two pinned cores were really ours
    String loadAverage = Files.readString(Path.of("/proc/loadavg")).trim();
    say(String.format(Locale.ROOT, "control plane: %.2f cores, %d MB RSS, %d threads, %d open files; %d failed polls",
        cores, after.rssKb() / 1024, after.threads(), after.openFiles(), failedSteady));

    List<Propagation> changes = new ArrayList<>();
    changes.add(repeat("policy edit: namespace-wide PeerAuthentication (every agent)", this::namespaceEdit));
    int vsTarget = mostCalled(0);
    changes.add(repeat("policy edit: one VirtualService (" + CallGraph.name(vsTarget) + ", its callers)",
        rep -> virtualServiceEdit(vsTarget, rep)));
    int epTarget = mostCalled(1);
    changes.add(repeat("new endpoint of " + CallGraph.name(epTarget) + " (its callers)",
        rep -> newEndpoint(epTarget, rep, work, threads)));
    for (Propagation p : changes) {
      say(String.format(Locale.ROOT, "%s: %d/%d agents, p50 %.0f ms, p99 %.0f ms, max %.0f ms",
          p.what(), p.reached(), p.affected(), p.p50Ms(), p.p99Ms(), p.maxMs()));
    }
    ProcStats peak = ProcStats.of(control.pid());
    Map<String, Object> load = load();
    long failedTotal = failures();
    long acksInPolls = fleet.stream().mapToLong(a -> ((Number) a.loop.stats().get("acksInPolls")).longValue()).sum();
    long repollsSpread = fleet.stream().mapToLong(a -> ((Number) a.loop.stats().get("repollsSpread")).longValue()).sum();
    String sigterm = sigterm(work.resolve("data").resolve("registry.json"));
    say("SIGTERM: " + sigterm);
    stopFleet(threads);
    return new Result(agents, services, o.calls, converge, cores, peakOf(after, peak), simulator, failedSteady,
        failedTotal, ((Number) load.get("shed")).longValue(), changes, sigterm, load, reregistered, loadAverage, rampLoad,
        acksInPolls, loadAverageAtStart, repollsSpread);
  }

  /** Stops every simulated agent, so none of them talks to the next size's control plane. */
  private void stopFleet(ThreadFactory threads) throws InterruptedException {
    List<Thread> stopping = new ArrayList<>();
    for (SimulatedAgent a : fleet) {
      Thread t = threads != null ? threads.newThread(a.loop::stop) : new Thread(a.loop::stop);
      t.start();
      stopping.add(t);
    }
    for (Thread t : stopping) {
      t.join(5_000);
    }
    fleet.clear();
  }

  /** RSS, threads and files at their highest of the two readings; CPU ticks from the steady window. */
  private static ProcStats peakOf(ProcStats steady, ProcStats later) {
    return new ProcStats(steady.cpuTicks(), Math.max(steady.rssKb(), later.rssKb()),
        Math.max(steady.threads(), later.threads()), Math.max(steady.openFiles(), later.openFiles()));
  }

  /** The fleet never got registered and served within the bound: the size's result says so. */
  static final class NotConverged extends RuntimeException {
    final long converged;

    NotConverged(long converged, Map<String, Object> load) {
      super(converged + " agents registered and serving a snapshot at the deadline; control plane " + load);
      this.converged = converged;
    }
  }

  interface Change {
    /** Makes the change; returns when it started (nanoTime) and the watches of every affected agent. */
    Timed make(int rep) throws Exception;
  }

  record Timed(long startNanos, List<SimulatedAgent.Watch> watches) {}

  private Propagation repeat(String what, Change change) throws Exception {
    List<Long> all = new ArrayList<>();
    long controlMs = -1;
    int affected = 0;
    double simulatorBusy = -1;
    double controlBusy = -1;
    long self = ProcessHandle.current().pid();
    for (int rep = 1; rep <= o.reps; rep++) {
      // the simulator's own heap collected first (and its young generation, set by bench/scale/run,
      // holds a whole wave's allocation): one JVM's pause would delay all 10,000 simulated agents at
      // once, which a fleet of separate JVMs never does
      System.gc();
      ScaleMain.sleep(200);
      ProcStats simBefore = ProcStats.of(self);
      ProcStats cpBefore = ProcStats.of(control.pid());
      long measuredFrom = System.nanoTime();
      Timed t = change.make(rep);
      // the change's start on the wall clock, to compare with the control plane's (same machine)
      long startEpochMillis = System.currentTimeMillis() - (System.nanoTime() - t.startNanos()) / 1_000_000;
      affected += t.watches().size();
      long deadline = System.nanoTime() + CHANGE_BOUND.toNanos();
      while (t.watches().stream().anyMatch(w -> w.arrivedNanos == 0) && System.nanoTime() < deadline) {
        ScaleMain.sleep(20);
      }
      // how busy each side's core was from the change to its last agent: which one bounds the wait
      long window = System.nanoTime() - measuredFrom;
      simulatorBusy = Math.max(simulatorBusy, ProcStats.cores(simBefore, ProcStats.of(self), window));
      controlBusy = Math.max(controlBusy, ProcStats.cores(cpBefore, ProcStats.of(control.pid()), window));
      for (SimulatedAgent.Watch w : t.watches()) {
        if (w.arrivedNanos != 0) {
          all.add(w.arrivedNanos - t.startNanos());
        }
      }
      ScaleMain.sleep(3000); // acks and the registry save settle before the next change
      Map<?, ?> wave = (Map<?, ?>) load().get("lastAnswerWave");
      long ended = wave == null ? 0 : ((Number) wave.get("endedEpochMillis")).longValue();
      if (ended > 0) {
        controlMs = Math.max(controlMs, ended - startEpochMillis);
      }
      say(what + ", repetition " + rep + ": the control plane's last answer of it written "
          + (ended > 0 ? (ended - startEpochMillis) + " ms" : "(unknown)") + " after the change (" + wave + ")");
    }
    return Propagation.merge(what, all, affected, controlMs, simulatorBusy, controlBusy);
  }

  private Timed namespaceEdit(int rep) {
    String marker = "ns-edit-" + rep + "-" + System.nanoTime();
    List<SimulatedAgent.Watch> watches = new ArrayList<>();
    for (SimulatedAgent a : fleet) {
      watches.add(a.watch(marker));
    }
    long start = System.nanoTime();
    post("/v1/policy?file=mesh.yaml", CallGraph.peerAuthentication(marker));
    return new Timed(start, watches);
  }

  private Timed virtualServiceEdit(int target, int rep) {
    String marker = "vs-edit-" + rep + "-" + System.nanoTime();
    List<SimulatedAgent.Watch> watches = new ArrayList<>();
    for (SimulatedAgent a : fleet) {
      if (graph.callers.get(target).contains(a.service)) {
        watches.add(a.watch(marker));
      }
    }
    String body = graph.routes(target, marker);
    long start = System.nanoTime();
    post("/v1/policy?file=routes.yaml", body);
    return new Timed(start, watches);
  }

  private Timed newEndpoint(int target, int rep, Path work, ThreadFactory threads) {
    String address = "127.250." + (rep / 250) + "." + (1 + rep % 250);
    List<SimulatedAgent.Watch> watches = new ArrayList<>();
    for (SimulatedAgent a : fleet) {
      if (graph.callers.get(target).contains(a.service)) {
        watches.add(a.watch("\"" + address + "\""));
      }
    }
    SimulatedAgent joining = new SimulatedAgent(target, address, base, work.resolve("cache"), threads);
    long start = System.nanoTime();
    joining.start();
    fleet.add(joining);
    return new Timed(start, watches);
  }

  /** The service with the most callers (rank 0), the next (rank 1), ...: the widest change of its kind. */
  private int mostCalled(int rank) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < services; i++) {
      order.add(i);
    }
    order.sort((x, y) -> Integer.compare(graph.callers.get(y).size(), graph.callers.get(x).size()));
    return order.get(rank);
  }

  private long failures() {
    long sum = 0;
    for (SimulatedAgent a : fleet) {
      sum += a.pollFailures();
    }
    return sum;
  }

  private static String address(int i) {
    return "127." + (1 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256);
  }

  private void startControlPlane(Path policies, Path data) throws IOException {
    List<String> cmd = new ArrayList<>();
    if (o.controlCpu >= 0) {
      cmd.addAll(List.of("taskset", "-c", Integer.toString(o.controlCpu)));
    }
    cmd.addAll(List.of(o.controlJava, "-Xmx" + o.controlHeap));
    cmd.addAll(o.controlOpts);
    cmd.addAll(List.of(
        "-Xlog:gc:file=" + raw.resolve("control-" + agents + "-gc.log"), "-jar", o.controlJar.toString(),
        "--listen", o.listen, "--policy-dir", policies.toString(), "--data-dir", data.toString()));
    if (o.capacity != null) {
      cmd.addAll(List.of("--capacity", o.capacity.toString()));
    }
    say("starting " + String.join(" ", cmd));
    Path log = raw.resolve("control-" + agents + ".log");
    control = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Process started = control;
    // the control plane never outlives the tool, however the tool ends (Ctrl-C, timeout)
    Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "stop-control-plane"));
    CompletableFuture<Void> banner = new CompletableFuture<>();
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in = new BufferedReader(new InputStreamReader(control.getInputStream(), StandardCharsets.UTF_8));
                  PrintWriter w = new PrintWriter(Files.newBufferedWriter(log))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                  w.println(line);
                  if (line.contains(" listening on ")) {
                    banner.complete(null);
                    w.flush();
                  }
                }
              } catch (IOException e) {
                banner.completeExceptionally(e);
              }
              banner.completeExceptionally(new IOException("control plane exited before its banner; see " + log));
            },
            "control-log");
    pump.setDaemon(true);
    pump.start();
    try {
      banner.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException("control plane did not start: " + e.getMessage() + " (log: " + log + ")", e);
    }
  }

  /** SIGTERM: the control plane saves its registry and exits. */
  private String sigterm(Path registryFile) throws Exception {
    long start = System.nanoTime();
    control.destroy();
    if (!control.waitFor(30, TimeUnit.SECONDS)) {
      control.destroyForcibly();
      return "did not exit within 30 s (killed)";
    }
    double took = (System.nanoTime() - start) / 1e9;
    int saved = -1;
    if (Files.exists(registryFile)) {
      Object list = JsonTrees.readObject(Files.readAllBytes(registryFile)).get("agents");
      saved = list instanceof List<?> l ? l.size() : -1;
    }
    return String.format(Locale.ROOT, "exited %d after %.1f s; registry.json holds %d agents", control.exitValue(), took, saved);
  }

  Map<String, Object> load() {
    try {
      HttpResponse<String> r =
          http.send(HttpRequest.newBuilder(URI.create(base + "/v1/load")).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      return JsonTrees.readObject(r.body().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("agents", -1);
      m.put("shed", -1);
      m.put("error", e.toString());
      return m;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void post(String path, String body) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                  .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
      }
    } catch (IOException e) {
      throw new IllegalStateException("POST " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Thread.ofVirtual().factory() on Java 21+ (this module compiles for 17), else null (platform threads). */
  private static ThreadFactory virtualThreads() {
    try {
      Method ofVirtual = Thread.class.getMethod("ofVirtual");
      Object builder = ofVirtual.invoke(null);
      Method factory = Class.forName("java.lang.Thread$Builder").getMethod("factory");
      return (ThreadFactory) factory.invoke(builder);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  private void say(String s) {
    System.out.println("[scale " + agents + "] " + s);
  }
}
