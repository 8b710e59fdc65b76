package io.inmesh.smoke;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real child process whose output goes to a log file under target/smoke-logs. */
public final class Proc implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;

  private Proc(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  public static Proc start(String name, List<String> command, Map<String, String> env, Path logDir) throws IOException {
    Files.createDirectories(logDir);
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.directory(Smoke.ROOT.toFile());
    Map<String, String> e = pb.environment();
    // nothing inherited may change what the test means
    e.keySet().removeIf(k -> k.startsWith("INMESH_") || k.startsWith("OTEL_") || k.equals("JAVA_TOOL_OPTIONS"));
    e.putAll(env);
    Files.writeString(log, "");
    return new Proc(name, pb.start(), log);
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  public String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "<" + e + ">";
    }
  }

  /** Waits (bounded) for a line containing {@code needle}; false on timeout or process exit. */
  public boolean awaitOutput(String needle, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (output().contains(needle)) {
        return true;
      }
      if (!process.isAlive()) {
        return output().contains(needle);
      }
      Smoke.sleep(50);
    }
    return false;
  }

  public String tail(int lines) {
    List<String> all = output().lines().toList();
    return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** Graceful stop (SIGTERM: shutdown hooks run), bounded; then forcibly. */
  public void stop() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }

  /**
   * {@link #stop()} for every one at once: SIGTERM to all, then each waited for (bounded as there),
   * forcibly if it did not exit. A fleet's JVMs run their shutdown hooks side by side instead of
   * one after another (each takes about half a second on a busy machine). Nulls are skipped.
   */
  public static void stopAll(java.util.Collection<? extends Proc> procs, Proc... more) {
    List<Proc> all = new java.util.ArrayList<>(procs);
    all.addAll(java.util.Arrays.asList(more));
    all.removeIf(p -> p == null || !p.process.isAlive());
    all.forEach(p -> p.process.destroy());
    for (Proc p : all) {
      try {
        if (!p.process.waitFor(10, TimeUnit.SECONDS)) {
          p.kill();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.kill();
      }
    }
  }

  /** SIGKILL: no shutdown hooks, as when a node dies. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  public File logFile() {
    return log.toFile();
  }

  @Override
  public String toString() {
    return name + " (log " + log + ")";
  }
}
