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
 * Startup to first served request: the backend application of each pair started alone, with no
 * agent, the stock OpenTelemetry agent and inmesh, rounds interleaved; time from process start to
 * the first 200 on its URL, polled every 10 ms. Optionally one more start of the JDK app per
 * variant with class-load logging, to see what the time goes to.
 */
public final class StartupProbe {
  public static final List<Mode> VARIANTS = List.of(Mode.BASELINE, Mode.OTEL, Mode.INMESH);
  private static final Topology SLOT = new Topology(8);

  private final BenchOptions opts;
  private final BenchPaths paths;
  private final Launcher launcher;
  private final Path workDir;
  private static final Pattern PREMAIN = Pattern.compile("premain took (\\d+) ms");
  private ControlPlaneProcess.Started controlPlane;
  private Path lastLog;

  public StartupProbe(BenchOptions opts, BenchPaths paths, Launcher launcher, Path workDir) {
    this.opts = opts;
    this.paths = paths;
    this.launcher = launcher;
    this.workDir = workDir;
  }

  private static String address(Mode variant) {
    return "127.0.0." + (81 + VARIANTS.indexOf(variant));
  }

  public void startControlPlane() throws IOException {
    controlPlane = ControlPlaneProcess.start(launcher, paths, "startup-control-plane", SLOT.controlPlane(), Files.createDirectories(workDir.resolve("startup")));
  }

  public void stopControlPlane() {
    if (controlPlane != null) {
      controlPlane.proc().stop();
    }
  }

  /** One start of {@code app}'s backend with {@code variant}'s agent; ms to first 200. */
  public double once(AppPair app, Mode variant, int round, List<String> extraFlags, Map<String, String> extraEnv, String tag) throws IOException {
    String addr = address(variant);
    Map<String, String> env =
        new HashMap<>(JvmSettings.env(variant.agent, variant.extraEnv, paths, JvmSettings.serviceName(false), addr, controlPlane == null ? null : controlPlane.url(), workDir.resolve("startup/inmesh-cache")));
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
