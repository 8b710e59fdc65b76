package io.inmesh.bench.mesh;

import io.inmesh.bench.measure.BenchResults;
import io.inmesh.bench.measure.Http;
import io.inmesh.bench.measure.ModeSet;
import io.inmesh.bench.mode.AppPair;
import io.inmesh.bench.mode.BenchPaths;
import io.inmesh.bench.mode.JvmSettings;
import io.inmesh.bench.mode.Mode;
import io.inmesh.bench.mode.Topology;
import io.inmesh.bench.proc.Launcher;
import io.inmesh.bench.proc.Proc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Policy edit → enforced, as routing: a JDK frontend with the inmesh agent calls {@code
 * backend-service}, which has two endpoints (backend v1 and v2, told apart by the {@code version}
 * in their answer); a DestinationRule names the subsets and the VirtualService sends every call to
 * one of them. Each edit flips the VirtualService to the other subset, after a random pause (so the
 * edits fall at random moments of the control plane's file scan instead of locking to its period),
 * and is timed from the atomic rewrite of the file to the end of the first call through the
 * frontend that the new subset answered. Runs on its own slot, alone on the machine's load.
 */
public final class RoutePropagation {
  /** Loopback slot 11: frontend .111, backend v1 .112, backend v2 .113, control plane .119. */
  public static final Topology SLOT = new Topology(11);
  private static final Duration READY = Duration.ofSeconds(120);

  private final Launcher launcher;
  private final BenchPaths paths;
  private final Path dir;
  private final List<Proc> procs = new ArrayList<>();
  private ControlPlaneProcess.Started controlPlane;

  public RoutePropagation(Launcher launcher, BenchPaths paths, Path workDir) throws IOException {
    this.launcher = launcher;
    this.paths = paths;
    this.dir = Files.createDirectories(workDir.resolve("route-propagation"));
  }

  private String frontendUrl() {
    return "http://" + SLOT.frontend() + ":" + Topology.APP_PORT + AppPair.JDK.frontendPath;
  }

  /** Control plane, both backends, the frontend; returns once calls reach v1. */
  public void start() throws IOException {
    controlPlane = ControlPlaneProcess.start(launcher, paths, "propagation-control-plane", SLOT.controlPlane(), dir,
        MeshPolicy.routeToSubset("v1"), Map.of(MeshPolicy.SUBSETS_FILE_NAME, MeshPolicy.subsets()));
    procs.add(controlPlane.proc());
    backend("v1", SLOT.at(2));
    backend("v2", SLOT.at(3));
    String endpoints = controlPlane.url() + "/v1/endpoints";
    if (!Http.await(READY, 100, () -> {
      String body = Http.get(endpoints).body();
      return body.contains(SLOT.at(2)) && body.contains(SLOT.at(3));
    })) {
      throw new IOException("route propagation: the control plane never listed both backends:\n" + Http.get(endpoints).body());
    }
    Map<String, String> env = JvmSettings.env(Mode.INMESH, paths, MeshPolicy.FRONTEND_SERVICE, SLOT.frontend(), controlPlane.url(), dir.resolve("cache-frontend"));
    Proc frontend = launcher.start("propagation-frontend", Proc.Role.FRONTEND,
        JvmSettings.command(paths, List.of(), AppPair.JDK.frontendArgs(paths, SLOT.frontend(), Topology.APP_PORT, "http://" + MeshPolicy.BACKEND_SERVICE)), env);
    procs.add(frontend);
    ModeSet.awaitFirst200(frontend, SLOT.frontend(), Topology.APP_PORT, AppPair.JDK.frontendPath, READY);
    ModeSet.checkAgent(frontend, Mode.Agent.INMESH);
    if (!Http.await(Duration.ofSeconds(30), 20, () -> Http.get(frontendUrl()).body().contains(versionMark("v1")))) {
      throw new IOException("route propagation: calls never reached subset v1: " + Http.get(frontendUrl()));
    }
    // A control plane started with no registry to restore holds every poll that carries a version
    // through its warm-up, so that running agents re-register before it publishes (README, control
    // plane restarts); an edit made then waits for the warm-up's end, which is start-up, not
    // propagation: the first edit of the runs of 2026-12-01/02 took 2.4-3.8 s that way, the other 19
    // ~0.1-0.3 s. The edits start once it is over.
    Path log = controlPlane.proc().log();
    if (!Http.await(READY, 100, () -> warmedUp(log))) {
      throw new IOException("route propagation: the control plane's warm-up never ended:\n" + controlPlane.proc().tail(20));
    }
  }

  /** True once the control plane's log says its warm-up is over, or that it had none. */
  static boolean warmedUp(Path controlPlaneLog) {
    try {
      String out = Files.readString(controlPlaneLog);
      return out.contains("registry: warm-up over") || (out.contains("listening on") && !out.contains("holding polls"));
    } catch (IOException e) {
      return false;
    }
  }

  private void backend(String version, String address) throws IOException {
    Map<String, String> env = new HashMap<>(JvmSettings.env(Mode.INMESH, paths, MeshPolicy.BACKEND_SERVICE, address, controlPlane.url(), dir.resolve("cache-backend-" + version)));
    env.put("INMESH_LABELS", "app=" + MeshPolicy.BACKEND_SERVICE + ",version=" + version);
    Proc p = launcher.start("propagation-backend-" + version, Proc.Role.BACKEND,
        JvmSettings.command(paths, List.of("-Dbench.backend.version=" + version), AppPair.JDK.backendArgs(paths, address, Topology.APP_PORT)), env);
    procs.add(p);
    ModeSet.awaitFirst200(p, address, Topology.APP_PORT, AppPair.JDK.backendPath, READY);
    ModeSet.checkAgent(p, Mode.Agent.INMESH);
  }

  static String versionMark(String version) {
    return "\"version\":\"" + version + "\"";
  }

  /**
   * {@code edits} flips, each after a pause drawn uniformly from [{@code minPauseMillis}, {@code
   * maxPauseMillis}) with {@code seed}, each bounded by {@code timeoutSeconds}.
   */
  public List<BenchResults.PolicyEdit> measure(int edits, long seed, int minPauseMillis, int maxPauseMillis, double timeoutSeconds) throws IOException {
    Random random = new Random(seed);
    List<BenchResults.PolicyEdit> out = new ArrayList<>();
    String current = "v1";
    for (int n = 1; n <= edits; n++) {
      int pause = minPauseMillis + random.nextInt(maxPauseMillis - minPauseMillis);
      Http.sleep(pause);
      String next = current.equals("v1") ? "v2" : "v1";
      String mark = versionMark(next);
      long t0 = System.nanoTime();
      MeshPolicy.writeAtomically(controlPlane.policyFile(), MeshPolicy.routeToSubset(next));
      long deadline = t0 + (long) (timeoutSeconds * 1e9);
      boolean enforced = false;
      int calls = 0;
      long end = t0;
      while (System.nanoTime() < deadline) {
        Http.Response r = Http.get(frontendUrl());
        end = System.nanoTime();
        if (r.status() == 200 && r.body().contains(mark)) {
          enforced = true;
          break;
        }
        calls++;
      }
      out.add(new BenchResults.PolicyEdit("jdk", n, (end - t0) / 1e6, enforced, pause, next, calls));
      current = next;
    }
    return out;
  }

  public void stop() {
    for (int i = procs.size() - 1; i >= 0; i--) {
      procs.get(i).stop();
    }
  }
}
