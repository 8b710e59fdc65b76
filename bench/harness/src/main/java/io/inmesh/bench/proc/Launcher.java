package io.inmesh.bench.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts the processes of a mode. Every child gets a clean environment for the settings that
 * matter here (no inherited JAVA_TOOL_OPTIONS, OTEL_* or INMESH_*), and, when the harness itself is
 * pinned to a CPU (the load generator's), the child's affinity is reset to every CPU with taskset,
 * so only the load generator stays pinned.
 */
public final class Launcher {
  private final Path logDir;
  private final List<String> affinityPrefix;
  private final List<Proc> started = new ArrayList<>();

  public Launcher(Path logDir, List<String> affinityPrefix) {
    this.logDir = logDir;
    this.affinityPrefix = affinityPrefix;
  }

  public Proc start(String name, Proc.Role role, List<String> command, Map<String, String> env) throws IOException {
    Files.createDirectories(logDir);
    List<String> cmd = new ArrayList<>(affinityPrefix);
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> e = pb.environment();
    e.keySet().removeIf(k -> k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS") || k.startsWith("OTEL_") || k.startsWith("INMESH_"));
    e.putAll(env);
    Path log = logDir.resolve(name + ".log");
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    long t0 = System.nanoTime();
    Process p = pb.start();
    Proc proc = new Proc(name, role, p, log, cmd, env, t0);
    synchronized (started) {
      started.add(proc);
    }
    return proc;
  }

  /** Stops every process this launcher started and that is still running (newest first). */
  public void stopAll() {
    List<Proc> copy;
    synchronized (started) {
      copy = new ArrayList<>(started);
      started.clear();
    }
    for (int i = copy.size() - 1; i >= 0; i--) {
      copy.get(i).stop();
    }
  }

  public List<String> affinityPrefix() {
    return affinityPrefix;
  }
}
