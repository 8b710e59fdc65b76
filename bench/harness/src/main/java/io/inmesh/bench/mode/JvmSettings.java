package io.inmesh.bench.mode;

import io.inmesh.bench.mesh.MeshPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The JVM flags every application JVM gets, in every mode (equal -Xmx, same collector, Native
 * Memory Tracking on everywhere so its own small cost is the same for all), and the environment
 * that attaches each mode's agent.
 */
public final class JvmSettings {
  public static final List<String> APP_FLAGS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:NativeMemoryTracking=summary");
  public static final List<String> CONTROL_PLANE_FLAGS = List.of("-Xmx128m", "-XX:+UseSerialGC");

  private JvmSettings() {}

  /** {@code java <flags> <extra flags> <args>}. */
  public static List<String> command(BenchPaths paths, List<String> extraFlags, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(paths.java().toString());
    cmd.addAll(APP_FLAGS);
    cmd.addAll(extraFlags);
    cmd.addAll(args);
    return cmd;
  }

  /**
   * The environment of one application JVM of {@code mode}. {@code service} is its mesh/OTel
   * service name, {@code address} its own loopback address (inmesh's admin ports bind there).
   */
  public static Map<String, String> env(Mode mode, BenchPaths paths, String service, String address, String controlUrl, Path cacheDir) {
    Map<String, String> env = new HashMap<>();
    switch (mode.agent) {
      case NONE -> {
        // no agent
      }
      case OTEL -> {
        env.put("JAVA_TOOL_OPTIONS", "-javaagent:" + paths.otelAgent());
        if (mode.settings == Mode.Settings.INMESH_DISTRIBUTION) {
          env.putAll(InmeshDistributionSettings.environment(paths.inmeshAgent(), paths.scratchDir().resolve("inmesh-extension")));
        } else if (mode.settings == Mode.Settings.BARE) {
          env.put("OTEL_INSTRUMENTATION_COMMON_DEFAULT_ENABLED", "false");
        }
        env.put("OTEL_TRACES_EXPORTER", "none");
        env.put("OTEL_METRICS_EXPORTER", "none");
        env.put("OTEL_LOGS_EXPORTER", "none");
        env.put("OTEL_SERVICE_NAME", service);
      }
      case FLOOR -> env.put("JAVA_TOOL_OPTIONS", "-javaagent:" + paths.floorAgent());
      case INMESH -> {
        env.put("JAVA_TOOL_OPTIONS", "-javaagent:" + paths.inmeshAgent());
        env.put("INMESH_CONTROL_URL", controlUrl);
        env.put("INMESH_SERVICE", service);
        env.put("INMESH_LABELS", "app=" + service + ",version=v1");
        env.put("INMESH_ADMIN_ADDRESS", address);
        env.put("INMESH_CACHE_DIR", cacheDir.toString());
      }
    }
    env.putAll(mode.extraEnv);
    return env;
  }

  public static String serviceName(boolean frontend) {
    return frontend ? MeshPolicy.FRONTEND_SERVICE : MeshPolicy.BACKEND_SERVICE;
  }
}
