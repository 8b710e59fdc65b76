package io.inmesh.bench.scale;

import io.inmesh.policy.tree.JsonTrees;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Issue 15, item 2, "flapping": N simulated agents (the agent's own {@code ControlLoop} and
 * {@code ControlClient}, as in {@link ScaleRun}) against a control plane process that is killed
 * with SIGKILL and started again on the same address and data dir every few seconds, for a bounded
 * number of cycles. It measures:
 *
 * <ul>
 *   <li><b>lockstep</b>: after each restart, each agent's time from the moment the new control
 *       plane accepts connections to its first successful exchange with it ({@link FlapSpread});
 *   <li><b>no endpoint vanished</b>: from the moment the fleet first converged, a real agent of
 *       another service ({@link FlapWatcher}) checks every snapshot it receives, and a poller checks
 *       {@code /v1/endpoints} every 100 ms while the control plane is up, for every live agent's
 *       endpoint;
 *   <li><b>convergence</b>: after the last restart, every agent registered, running the latest
 *       policy, and the control plane seeing each of them as {@code current}.
 * </ul>
 *
 * <p>How "first successful exchange" is timed. An agent that lost its registration while the
 * control plane was away (its heartbeat or ack failed) comes back by registering again, and its
 * poll waits for that: {@link FlapAgent} timestamps each registration attempt as it is sent, and
 * the one that got through is the last before the agent is seen registered again. An agent that
 * never noticed comes back by its poll: while the control plane is down, the namespace-wide
 * PeerAuthentication in its policy folder gets a new annotation, so the restarted control plane
 * serves every view at a new version and answers each agent's first poll that gets through at once;
 * that poll is the last one a 10 ms sampler of the loop's poll counter saw start before the new
 * snapshot arrived (the sampler can only merge starts, never spread them: it errs towards
 * lockstep). The earlier of the two counts. The edit decides nothing about when an agent comes
 * back (its backoff does); it makes the moment visible (an unchanged view would be held for the
 * whole poll wait), stands for a restart that ships a policy change, and the fleet must end up
 * running it.
 */
final class FlapRun {

  static final class Options {
    int agents = 100;
    /** Default: agents / 10, at least calls + 1. */
    Integer services;
    int calls = 5;
    /** The control plane is up this long between restarts. */
    long everyMillis = 3_000;
    int cycles = 10;
    Path controlJar;
    String controlJava;
    String controlHeap = "128m";
    /** Core to pin the control plane to with taskset; -1: no pinning. */
    int controlCpu = -1;
    String listen = "127.0.0.9:15111";
    /** The address agent {@code i} registers (never bound: the simulated agents serve nothing). */
    IntFunction<String> address = FlapRun::defaultAddress;
    String watcherAddress = "127.250.255.1";
    /** Bound on the first convergence and on the convergence after the flapping. */
    Duration convergeBound = Duration.ofSeconds(60);
    /**
     * Before the first kill, wait until the control plane has saved the converged fleet to
     * {@code registry.json}. Off ({@code --no-settle}): kill as soon as the fleet converged, which
     * loses registrations made within the control plane's save delay (see bench/scale/README.md).
     */
    boolean settle = true;
    /** Control-plane logs go here. */
    Path logs;
    PrintStream out = System.out;
  }

  /** One restart: how long the control plane was away, and how the fleet came back. */
  record Cycle(int n, double awayMs, FlapSpread spread, int missed) {}

  record Result(
      int agents, int services, long everyMillis, List<Cycle> cycles, FlapSpread pooled, FlapWatcher.Tally watcher,
      FlapWatcher.Tally endpoints, boolean converged, double convergeMs, String convergeState, long reregistrations,
      long agentsReregistered, long failedExchanges, long backByRegistration, long backByPoll, String loadAverage) {

    /** What makes the check fail: lockstep, a vanished endpoint, no convergence, or nothing measured. */
    List<String> problems() {
      List<String> p = new ArrayList<>();
      for (Cycle c : cycles) {
        if (c.spread().lockstep()) {
          p.add(String.format(Locale.ROOT, "restart %d: lockstep, %d of %d agents back inside one 50 ms window (more than %.0f%%)",
              c.n(), c.spread().densestWindow(), c.spread().reconnected(), FlapSpread.LOCKSTEP_SHARE * 100));
        }
      }
      if (pooled.reconnected() < cycles.size() * (long) agents / 2) {
        p.add("only " + pooled.reconnected() + " reconnects measured over " + cycles.size() + " restarts of "
            + agents + " agents: too few to judge lockstep");
      }
      if (watcher.vanished() > 0) {
        p.add("endpoints vanished from the watcher's snapshots: " + watcher.line());
      }
      if (endpoints.vanished() > 0) {
        p.add("endpoints vanished from /v1/endpoints: " + endpoints.line());
      }
      // the poller must have checked most control-plane processes (one can be too slow to answer
      // within its time up on an overloaded machine); the watcher checks the last one at least
      if (watcher.checked() == 0 || endpoints.incarnations() < (cycles.size() + 1 + 1) / 2) {
        p.add("too little was checked for vanished endpoints: " + watcher.line() + "; " + endpoints.line());
      }
      if (!converged) {
        p.add("the fleet did not converge after the flapping: " + convergeState);
      }
      return p;
    }

    void print(PrintStream out) {
      out.printf(Locale.ROOT, "[flap] %d agents (%d services), control plane killed (SIGKILL) after %.1f s up, %d times%n",
          agents, services, everyMillis / 1e3, cycles.size());
      for (Cycle c : cycles) {
        out.printf(Locale.ROOT, "[flap] restart %2d (away %5.0f ms): %s; %d not back before the next kill%s%n",
            c.n(), c.awayMs(), c.spread().line(), c.missed(), c.spread().lockstep() ? "  LOCKSTEP" : "");
      }
      out.printf(Locale.ROOT, "[flap] all restarts: %s%n", pooled.line());
      int worst = cycles.stream().mapToInt(c -> c.spread().densestWindow()).max().orElse(0);
      int worstBucket = cycles.stream().mapToInt(c -> c.spread().fullestBucket()).max().orElse(0);
      out.printf(Locale.ROOT, "[flap] lockstep: at most %d agents in one 50 ms bucket, %d in any 50 ms window"
          + " (lockstep: more than %.0f%% of those back)%n", worstBucket, worst, FlapSpread.LOCKSTEP_SHARE * 100);
      out.println("[flap] vanished endpoints: " + watcher.line() + "; " + endpoints.line());
      out.printf(Locale.ROOT, "[flap] came back by re-registering (timed at its send) %d times, by a poll (timed at its start, to 10 ms)"
          + " %d times; registration attempts: %d (by %d agents), failed exchanges: %d%n", backByRegistration, backByPoll,
          reregistrations, agentsReregistered, failedExchanges);
      out.printf(Locale.ROOT, "[flap] after the last restart: %s%s%n",
          converged ? String.format(Locale.ROOT, "converged in %.1f s", convergeMs / 1e3) : "NOT converged",
          " (" + convergeState + ")");
      out.println("[flap] load average: " + loadAverage);
      List<String> problems = problems();
      out.println(problems.isEmpty() ? "[flap] PASS: no lockstep, no endpoint vanished, the fleet converged"
          : "[flap] FAIL: " + String.join("; ", problems));
    }
  }

  private final Options o;
  private final int services;
  private final String base;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();
  private final List<FlapAgent> fleet = new ArrayList<>();
  private FlapWatcher watcher;
  private volatile ControlPlaneProc control;
  private volatile int started;

  FlapRun(Options o) {
    this.o = o;
    this.services = o.services != null ? o.services : Math.max(o.calls + 1, o.agents / 10);
    this.base = "http://" + o.listen;
  }

  Result run() throws Exception {
    Path work = Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"))
        .resolve("inmesh-flap-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    Path policies = Files.createDirectories(work.resolve("policies"));
    Path data = work.resolve("data");
    Path logs = o.logs != null ? o.logs : work.resolve("logs");
    Files.createDirectories(logs);
    CallGraph graph = new CallGraph(services, o.calls);
    Files.writeString(policies.resolve("sidecars.yaml"), graph.sidecars());
    Files.writeString(policies.resolve("routes.yaml"), graph.routes(-1, ""));
    Files.writeString(policies.resolve("mesh.yaml"), CallGraph.peerAuthentication("flap-start"));
    ThreadFactory threads = virtualThreads();
    try {
      control = startControlPlane(policies, data, logs);
      return measure(policies, data, logs, work, threads);
    } finally {
      stopFleet(threads);
      ControlPlaneProc c = control;
      if (c != null) {
        c.stop();
      }
      ScaleMain.deleteTree(work);
    }
  }

  private Result measure(Path policies, Path data, Path logs, Path work, ThreadFactory threads) throws Exception {
    say("starting " + o.agents + " agents of " + services + " services and a watcher");
    for (int i = 0; i < o.agents; i++) {
      FlapAgent a = new FlapAgent(i % services, o.address.apply(i), base, work.resolve("cache"), threads);
      fleet.add(a);
      a.start();
      if ((i + 1) % 50 == 0) {
        ScaleMain.sleep(100); // 500/s: a rollout
      }
    }
    watcher = new FlapWatcher(o.watcherAddress, base, work.resolve("cache"), threads);
    watcher.loop.start();
    long t0 = System.nanoTime();
    String state = null;
    while (System.nanoTime() - t0 < o.convergeBound.toNanos()) {
      state = convergedState(null);
      if (state == null) {
        break;
      }
      ScaleMain.sleep(200);
    }
    if (state != null) {
      throw new IllegalStateException("the fleet never converged before the flapping: " + state);
    }
    say(String.format(Locale.ROOT, "fleet converged in %.1f s", (System.nanoTime() - t0) / 1e9));
    if (o.settle) {
      long s0 = System.nanoTime();
      String saved = null;
      while (System.nanoTime() - s0 < o.convergeBound.toNanos()) {
        saved = unsaved(data.resolve("registry.json"));
        if (saved == null) {
          break;
        }
        ScaleMain.sleep(100);
      }
      if (saved != null) {
        throw new IllegalStateException("the control plane never saved the converged fleet: " + saved);
      }
      say(String.format(Locale.ROOT, "registry.json holds every agent %.1f s later", (System.nanoTime() - s0) / 1e9));
    }
    say(String.format(Locale.ROOT, "flapping: SIGKILL after %.1f s up, %d times", o.everyMillis / 1e3, o.cycles));

    Map<String, Set<String>> expected = new HashMap<>();
    for (FlapAgent a : fleet) {
      expected.computeIfAbsent(CallGraph.name(a.service), k -> new HashSet<>()).add(a.address);
    }
    watcher.expect(expected);
    FlapWatcher.Tally endpointTally = new FlapWatcher.Tally("/v1/endpoints polls");
    long[] registrationsBefore = registrations();
    long failuresBefore = fleet.stream().mapToLong(FlapAgent::failures).sum();
    PollFlag polling = new PollFlag();
    Thread poller = new Thread(() -> pollEndpoints(polling, expected, endpointTally), "flap-endpoints");
    poller.setDaemon(true);
    poller.start();

    record Pending(int n, long killNanos, long upNanos, List<SimulatedAgent.Watch> watches, long[] confirmed) {}
    List<Pending> pending = new ArrayList<>();
    // confirms re-registrations: the first moment each agent is seen registered with the current
    // control plane; the attempt that got through is its last one before that (FlapAgent)
    AtomicReference<Pending> current = new AtomicReference<>();
    PollFlag sampling = new PollFlag();
    Thread sampler =
        new Thread(
            () -> {
              while (sampling.on) {
                Pending p = current.get();
                long now = System.nanoTime();
                for (FlapAgent a : fleet) {
                  a.samplePolls(now);
                }
                if (p != null) {
                  for (int i = 0; i < fleet.size(); i++) {
                    if (p.confirmed()[i] == 0 && fleet.get(i).loop.registered()) {
                      p.confirmed()[i] = now;
                    }
                  }
                }
                ScaleMain.sleep(10);
              }
            },
            "flap-registered");
    sampler.setDaemon(true);
    sampler.start();
    long upNanos = control.upNanos;
    List<SimulatedAgent.Watch> latest = null;
    for (int k = 1; k <= o.cycles; k++) {
      sleepUntil(upNanos + TimeUnit.MILLISECONDS.toNanos(o.everyMillis));
      current.set(null);
      long killNanos = System.nanoTime();
      control.kill();
      String marker = "flap-restart-" + k + "-" + System.nanoTime();
      writeAtomically(policies.resolve("mesh.yaml"), CallGraph.peerAuthentication(marker));
      List<SimulatedAgent.Watch> watches = new ArrayList<>();
      for (FlapAgent a : fleet) {
        watches.add(a.watch(marker));
      }
      latest = watches;
      control = startControlPlane(policies, data, logs);
      upNanos = control.upNanos;
      Pending p = new Pending(k, killNanos, upNanos, watches, new long[fleet.size()]);
      pending.add(p);
      current.set(p);
    }
    long end = upNanos + TimeUnit.MILLISECONDS.toNanos(o.everyMillis);
    sleepUntil(end);
    current.set(null);
    sampling.off();
    sampler.join(5_000);

    List<Cycle> cycles = new ArrayList<>();
    List<Long> all = new ArrayList<>();
    long byRegistration = 0;
    long byPoll = 0;
    for (int i = 0; i < pending.size(); i++) {
      Pending p = pending.get(i);
      long windowEnd = i + 1 < pending.size() ? pending.get(i + 1).killNanos() : end;
      List<Long> offsets = new ArrayList<>();
      for (int j = 0; j < fleet.size(); j++) {
        // the first request that got through: the re-registration (its send), or else the poll
        // answered with the restarted control plane's snapshot (its arrival), whichever came first
        long confirmed = p.confirmed()[j];
        long registration = confirmed == 0 ? 0 : fleet.get(j).lastRegisterAttempt(p.killNanos(), confirmed);
        long polled = p.watches().get(j).arrivedNanos;
        long at;
        if (registration != 0 && (polled == 0 || registration - polled <= 0)) {
          // its poll waited for this registration (a poll counts as started before it waits)
          at = registration;
          byRegistration++;
        } else if (polled != 0) {
          // the answered poll started at most one sample before the sampler saw it start. Seen
          // starting before the restart, it waited for a registration that never came (5 s at
          // most) and was sent some time later: timed at its answer, as is a poll answered before
          // the sampler saw it start
          long seen = fleet.get(j).lastPollSeen(p.upNanos() - TimeUnit.MILLISECONDS.toNanos(10), polled);
          at = seen != 0 ? seen : polled;
          byPoll++;
        } else {
          continue;
        }
        if (at - windowEnd < 0) {
          offsets.add(at - p.upNanos());
        }
      }
      all.addAll(offsets);
      cycles.add(new Cycle(p.n(), (p.upNanos() - p.killNanos()) / 1e6, FlapSpread.of(offsets), o.agents - offsets.size()));
    }

    // the flapping stopped: every agent registered, running the last restart's policy, seen current
    long stopNanos = System.nanoTime();
    String converge = "no restart";
    boolean converged = false;
    while (System.nanoTime() - stopNanos < o.convergeBound.toNanos()) {
      converge = convergedState(latest);
      if (converge == null) {
        converged = true;
        break;
      }
      ScaleMain.sleep(100);
    }
    double convergeMs = (System.nanoTime() - stopNanos) / 1e6;
    polling.off();
    poller.join(5_000);
    watcher.expect(null); // the fleet deregisters next: that is no vanishing
    long[] registrationsAfter = registrations();
    long reregistrations = 0;
    long reregistered = 0;
    for (int i = 0; i < registrationsAfter.length; i++) {
      long d = registrationsAfter[i] - registrationsBefore[i];
      reregistrations += d;
      reregistered += d > 0 ? 1 : 0;
    }
    long failed = fleet.stream().mapToLong(FlapAgent::failures).sum() - failuresBefore;
    String loadAverage = Files.readString(Path.of("/proc/loadavg")).trim();
    return new Result(o.agents, services, o.everyMillis, cycles, FlapSpread.of(all), watcher.tally, endpointTally, converged,
        convergeMs, converged ? o.agents + " agents current" : converge, reregistrations, reregistered, failed, byRegistration,
        byPoll, loadAverage);
  }

  /** A flag the endpoint poller stops on. */
  private static final class PollFlag {
    private volatile boolean on = true;

    void off() {
      on = false;
    }
  }

  /** Every 100 ms while the control plane answers: does {@code /v1/endpoints} list every live agent? */
  private void pollEndpoints(PollFlag polling, Map<String, Set<String>> expected, FlapWatcher.Tally tally) {
    while (polling.on) {
      int incarnation = started - 1;
      try {
        HttpResponse<byte[]> r =
            http.send(HttpRequest.newBuilder(URI.create(base + "/v1/endpoints")).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 200) {
          tally.servedBy(incarnation);
          tally.check(FlapWatcher.addresses(JsonTrees.readObject(r.body()).get("services")), expected,
              "/v1/endpoints of control plane " + incarnation);
        }
      } catch (IOException e) {
        // the control plane is down or restarting: nothing to check
      } catch (InterruptedException e) {
        return;
      }
      ScaleMain.sleep(100);
    }
  }

  /**
   * Null when every agent is registered and runs a snapshot (the one {@code latest} watches for, if
   * given: no policy changed since) and
   * the control plane lists all of them (and the watcher) as running its current view; else what is missing.
   */
  private String convergedState(List<SimulatedAgent.Watch> latest) {
    long registered = fleet.stream().filter(a -> a.loop.registered() && a.activeVersion() != null).count();
    if (registered < o.agents) {
      return registered + "/" + o.agents + " agents registered and running a snapshot";
    }
    if (latest != null) {
      long behind = latest.stream().filter(w -> w.arrivedNanos == 0).count();
      if (behind > 0) {
        return behind + " agents not running the latest policy";
      }
    }
    try {
      Map<String, Object> agents = get("/v1/agents");
      int current = 0;
      int listed = 0;
      if (agents.get("agents") instanceof List<?> list) {
        for (Object e : list) {
          if (e instanceof Map<?, ?> m) {
            listed++;
            if ("current".equals(m.get("state"))) {
              current++;
            }
          }
        }
      }
      if (listed != o.agents + 1 || current != o.agents + 1) {
        return "the control plane lists " + listed + " agents, " + current + " of them current (want " + (o.agents + 1) + ")";
      }
    } catch (IOException e) {
      return "GET /v1/agents failed: " + e.getMessage();
    }
    return null;
  }

  /** Null when {@code registry.json} lists every agent and the watcher; else how many it lacks. */
  private String unsaved(Path registryFile) {
    Set<String> want = new HashSet<>();
    fleet.forEach(a -> want.add(a.id));
    want.add(watcher.id);
    try {
      if (JsonTrees.readObject(Files.readAllBytes(registryFile)).get("agents") instanceof List<?> list) {
        for (Object e : list) {
          if (e instanceof Map<?, ?> m) {
            want.remove(m.get("agent"));
          }
        }
      }
    } catch (IOException e) {
      return "cannot read " + registryFile + ": " + e.getMessage();
    }
    return want.isEmpty() ? null : registryFile + " lacks " + want.size() + " of " + (fleet.size() + 1) + " agents";
  }

  private long[] registrations() {
    long[] r = new long[fleet.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = fleet.get(i).registrations();
    }
    return r;
  }

  private Map<String, Object> get(String path) throws IOException {
    try {
      HttpResponse<byte[]> r =
          http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new IOException(path + " answered " + r.statusCode());
      }
      return JsonTrees.readObject(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Stops every agent (deregisters, 1 s bound each, in parallel) so none outlives the run. */
  private void stopFleet(ThreadFactory threads) throws InterruptedException {
    List<Thread> stopping = new ArrayList<>();
    List<Runnable> stops = new ArrayList<>();
    fleet.forEach(a -> stops.add(a.loop::stop));
    if (watcher != null) {
      stops.add(watcher.loop::stop);
    }
    for (Runnable r : stops) {
      Thread t = threads != null ? threads.newThread(r) : new Thread(r);
      t.start();
      stopping.add(t);
    }
    for (Thread t : stopping) {
      t.join(5_000);
    }
    fleet.clear();
  }

  private static void writeAtomically(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void sleepUntil(long nanos) {
    long left = nanos - System.nanoTime();
    if (left > 0) {
      ScaleMain.sleep(TimeUnit.NANOSECONDS.toMillis(left) + 1);
    }
  }

  /** A control plane process: started, SIGKILLed, started again on the same address and data dir. */
  static final class ControlPlaneProc {
    final Process process;
    /** When it first accepted a connection. */
    final long upNanos;

    private ControlPlaneProc(Process process, long upNanos) {
      this.process = process;
      this.upNanos = upNanos;
    }

    /** SIGKILL: a crash, nothing saved on the way out. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the control plane (pid " + process.pid() + ") did not die of SIGKILL within 10 s");
      }
    }

    /** SIGTERM, then SIGKILL if it does not exit. */
    void stop() throws InterruptedException {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  private ControlPlaneProc startControlPlane(Path policies, Path data, Path logs) throws IOException {
    List<String> cmd = new ArrayList<>();
    if (o.controlCpu >= 0) {
      cmd.addAll(List.of("taskset", "-c", Integer.toString(o.controlCpu)));
    }
    cmd.addAll(List.of(o.controlJava, "-Xmx" + o.controlHeap, "-XX:+UseSerialGC", "-jar", o.controlJar.toString(),
        "--listen", o.listen, "--policy-dir", policies.toString(), "--data-dir", data.toString()));
    int n = started++;
    Path log = logs.resolve("control-" + n + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    // the control plane never outlives the tool, however the tool ends
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "stop-control-plane-" + n));
    CompletableFuture<Long> banner = new CompletableFuture<>();
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                  PrintWriter w = new PrintWriter(Files.newBufferedWriter(log))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                  long at = System.nanoTime();
                  w.println(line);
                  if (line.contains(" listening on ")) {
                    banner.complete(at);
                    w.flush();
                  }
                }
              } catch (IOException e) {
                banner.completeExceptionally(e);
              }
              banner.completeExceptionally(new IOException("control plane exited before its banner; see " + log));
            },
            "control-log-" + n);
    pump.setDaemon(true);
    pump.start();
    try {
      // the restart's instant: when it accepts connections (it serves before it prints its banner)
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      long listening = 0;
      while (listening == 0 && p.isAlive() && System.nanoTime() - deadline < 0) {
        try (Socket probe = new Socket()) {
          probe.connect(new InetSocketAddress(listenHost(), listenPort()), 200);
          listening = System.nanoTime();
        } catch (IOException e) {
          ScaleMain.sleep(5);
        }
      }
      long bannerNanos = banner.get(60, TimeUnit.SECONDS);
      return new ControlPlaneProc(p, listening != 0 ? listening : bannerNanos);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IOException("control plane did not start: " + e.getMessage() + " (log: " + log + ")", e);
    }
  }

  /** Thread.ofVirtual().factory() on Java 21+ (this module compiles for 17), else null (platform threads). */
  static ThreadFactory virtualThreads() {
    try {
      Method ofVirtual = Thread.class.getMethod("ofVirtual");
      Object builder = ofVirtual.invoke(null);
      Method factory = Class.forName("java.lang.Thread$Builder").getMethod("factory");
      return (ThreadFactory) factory.invoke(builder);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  private String listenHost() {
    return o.listen.substring(0, o.listen.lastIndexOf(':'));
  }

  private int listenPort() {
    return Integer.parseInt(o.listen.substring(o.listen.lastIndexOf(':') + 1));
  }

  static String defaultAddress(int i) {
    return "127." + (1 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256);
  }

  private void say(String s) {
    o.out.println("[flap] " + s);
  }
}
