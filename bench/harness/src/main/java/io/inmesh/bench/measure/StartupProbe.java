package io.inmesh.bench.measure;

import io.inmesh.bench.BenchOptions;
import io.inmesh.bench.mesh.ControlPlaneProcess;
import io.inmesh.bench.mode.AppPair;
import io.inmesh.bench.mode.BenchPaths;
import io.inmesh.bench.mode.JvmSettings;
import io.inmesh.bench.mode.Mode;
import io.inmesh.bench.mode.Topology;
import io.inmesh.bench.proc.Launcher;
import io.inmesh.bench.proc.Proc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Startup, two ways, every variant (no agent, stock OTel, otel-lean, inmesh), rounds interleaved,
 * polled every 10 ms from process start:
 *
 * <ul>
 *   <li>to the first served request: the backend application of each pair started alone, until
 *       the first 200 on its URL;
 *   <li>to the first meshed call: the frontend application started against a backend that is
 *       already running (with inmesh, registered with its own control plane), until the first 200
 *       through it — which for inmesh means resolved by name and routed by the mesh, from a cold
 *       cache as a new pod has it.
 * </ul>
 *
 * Optionally one more start of each backend per variant with class-load logging, to see what the
 * time goes to.
 */
public final class StartupProbe {
  public static final List<Mode> VARIANTS = List.of(Mode.BASELINE, Mode.OTEL, Mode.OTEL_LEAN, Mode.INMESH, Mode.INMESH_TRACED, Mode.OTEL_BARE, Mode.BB_FLOOR);
  /**
   * Each variant's own address: slot 8's .81–.85 and .87 (.86 and .88 are the running backend and its
   * control plane, .89 the control plane of the inmesh starts), then .80, which no slot owns.
   */
  private static final int[] VARIANT_HOSTS = {81, 82, 83, 84, 85, 87, 80};
  /** The running backend the first-meshed-call starts call, and the control plane it is registered with. */
  private static final String MESHED_BACKEND_ADDRESS = Topology.NETWORK + "86";
  private static final String MESHED_CONTROL_ADDRESS = Topology.NETWORK + "88";
  private static final Topology SLOT = new Topology(8);

  private final BenchOptions opts;
  private final BenchPaths paths;
  private final Launcher launcher;
  private final Path workDir;
  private static final Pattern PREMAIN = Pattern.compile("premain took (\\d+) ms");
  private ControlPlaneProcess.Started controlPlane;
  private ControlPlaneProcess.Started meshedControlPlane;
  private Proc meshedBackend;
  private Path lastLog;

  public StartupProbe(BenchOptions opts, BenchPaths paths, Launcher launcher, Path workDir) {
    this.opts = opts;
    this.paths = paths;
    this.launcher = launcher;
    this.workDir = workDir;
  }

  public static String address(Mode variant) {
    return Topology.NETWORK + VARIANT_HOSTS[VARIANTS.indexOf(variant)];
  }

  public void startControlPlane() throws IOException {
    controlPlane = ControlPlaneProcess.start(launcher, paths, "startup-control-plane", SLOT.controlPlane(), Files.createDirectories(workDir.resolve("startup")));
  }

  public void stopControlPlane() {
    stopMeshedBackend();
    if (meshedControlPlane != null) {
      meshedControlPlane.proc().stop();
    }
    if (controlPlane != null) {
      controlPlane.proc().stop();
    }
  }

  /** Starts {@code app}'s backend with inmesh, registered with a control plane of its own, for {@link #firstMeshedCall}. */
  public void startMeshedBackend(AppPair app) throws IOException {
    if (meshedControlPlane == null) {
      meshedControlPlane = ControlPlaneProcess.start(launcher, paths, "startup-meshed-control-plane", MESHED_CONTROL_ADDRESS, Files.createDirectories(workDir.resolve("startup-meshed")));
    }
    stopMeshedBackend();
    meshedBackend = launcher.start("startup-meshed-backend-" + app.id, Proc.Role.BACKEND,
        JvmSettings.command(paths, List.of(), app.backendArgs(paths, MESHED_BACKEND_ADDRESS, Topology.APP_PORT)),
        JvmSettings.env(Mode.INMESH, paths, JvmSettings.serviceName(false), MESHED_BACKEND_ADDRESS, meshedControlPlane.url(), workDir.resolve("startup-meshed/cache-backend-" + app.id)));
    ModeSet.awaitFirst200(meshedBackend, MESHED_BACKEND_ADDRESS, Topology.APP_PORT, app.backendPath, Duration.ofSeconds(180));
    String endpoints = meshedControlPlane.url() + "/v1/endpoints";
    if (!Http.await(Duration.ofSeconds(60), 50, () -> Http.get(endpoints).body().contains(MESHED_BACKEND_ADDRESS))) {
      throw new IOException("the control plane never listed the running backend " + MESHED_BACKEND_ADDRESS + ": " + Http.get(endpoints).body());
    }
  }

  private void stopMeshedBackend() {
    if (meshedBackend != null) {
      meshedBackend.stop();
      meshedBackend = null;
      Http.sleep(300);
    }
  }

  /**
   * One start of {@code app}'s frontend with {@code variant}'s agent, calling the running backend
   * (by mesh name for inmesh, by address otherwise); ms from process start to the first 200 through it.
   */
  public double firstMeshedCall(AppPair app, Mode variant, int round) throws IOException {
    String addr = address(variant);
    String backendUrl = variant.meshed() ? "http://" + io.inmesh.bench.mesh.MeshPolicy.BACKEND_SERVICE : "http://" + MESHED_BACKEND_ADDRESS + ":" + Topology.APP_PORT;
    // a fresh cache per start: a new pod has no last-known-good policy
    Path cache = workDir.resolve("startup-meshed/cache-" + app.id + "-" + variant.id + "-" + round);
    Proc p = launcher.start(
        "startup-first-call-" + app.id + "-" + variant.id + "-" + round,
        Proc.Role.FRONTEND,
        JvmSettings.command(paths, List.of(), app.frontendArgs(paths, addr, Topology.APP_PORT, backendUrl)),
        JvmSettings.env(variant, paths, JvmSettings.serviceName(true), addr, meshedControlPlane.url(), cache));
    try {
      double ms = ModeSet.awaitFirst200(p, addr, Topology.APP_PORT, app.frontendPath, Duration.ofSeconds(180));
      ModeSet.checkAgent(p, variant.agent);
      Http.Response r = Http.get("http://" + addr + ":" + Topology.APP_PORT + app.frontendPath);
      if (!r.body().contains(AppPair.BACKEND_MARKER)) {
        throw new IOException(p + ": the first 200 did not carry the backend's answer: " + r.body());
      }
      return ms;
    } finally {
      p.stop();
      Http.sleep(300);
    }
  }

  /** One start of {@code app}'s backend with {@code variant}'s agent; ms to first 200. */
  public double once(AppPair app, Mode variant, int round, List<String> extraFlags, Map<String, String> extraEnv, String tag) throws IOException {
    String addr = address(variant);
    Map<String, String> env =
        new HashMap<>(JvmSettings.env(variant, paths, JvmSettings.serviceName(false), addr, controlPlane == null ? null : controlPlane.url(), workDir.resolve("startup/inmesh-cache")));
    env.putAll(extraEnv);
    Proc p = launcher.start(
        "startup-" + app.id + "-" + variant.id + "-" + tag + round,
        Proc.Role.BACKEND,
        JvmSettings.command(paths, extraFlags, app.backendArgs(paths, addr, Topology.APP_PORT)),
        env);
    lastLog = p.log();
    try {
      double ms = ModeSet.awaitFirst200(p, addr, Topology.APP_PORT, app.backendPath, Duration.ofSeconds(180));
      ModeSet.checkAgent(p, variant.agent);
      return ms;
    } finally {
      p.stop();
      Http.sleep(300);
    }
  }

  /** An app's backend once per variant with -Xlog:class+load (and inmesh's premain timing). */
  public BenchResults.ClassLoad classLoad(AppPair app, Mode variant, Path rawDir) throws IOException {
    Path log = Files.createDirectories(rawDir.resolve("classload")).resolve(app.id + "-" + variant.id + ".log");
    Files.deleteIfExists(log);
    double ms = once(app, variant, 1, List.of("-Xlog:class+load=info:file=" + log + ":uptime"), Map.of("INMESH_LOG_LEVEL", "debug"), "classload-");
    ClassLoadLog.Summary s = ClassLoadLog.parse(Files.readString(log, StandardCharsets.UTF_8), app.backendMainClass);
    Matcher m = PREMAIN.matcher(Files.readString(lastLog, StandardCharsets.UTF_8));
    double premain = m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    return new BenchResults.ClassLoad(app.id, variant.id, s.total(), s.beforeWatched(), s.bySource(), s.milestones(), s.classLoadedAtMillis(), ms, premain);
  }

  public BenchOptions options() {
    return opts;
  }
}
