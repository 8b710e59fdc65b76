package io.inmesh.bench.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A process the harness started: its role in the mode (frontend, backend, proxy...), pid and log. */
public final class Proc {
  private final String name;
  private final Role role;
  private final Process process;
  private final Path log;
  private final List<String> command;
  private final java.util.Map<String, String> env;
  private final long startedNanos;

  /** What a process is in a mode's topology; CPU per request is summed over the data-path roles. */
  public enum Role {
    FRONTEND("frontend JVM", true),
    BACKEND("backend JVM", true),
    OUTBOUND_PROXY("outbound proxy", true),
    INBOUND_PROXY("inbound proxy", true),
    CONTROL_PLANE("control plane", false);

    public final String label;
    public final boolean dataPath;

    Role(String label, boolean dataPath) {
      this.label = label;
      this.dataPath = dataPath;
    }

    public boolean isJvm() {
      return this == FRONTEND || this == BACKEND;
    }
  }

  Proc(String name, Role role, Process process, Path log, List<String> command, java.util.Map<String, String> env, long startedNanos) {
    this.name = name;
    this.role = role;
    this.process = process;
    this.log = log;
    this.command = command;
    this.env = java.util.Map.copyOf(env);
    this.startedNanos = startedNanos;
  }

  public String name() {
    return name;
  }

  public Role role() {
    return role;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  public List<String> command() {
    return command;
  }

  /** The variables the harness set for this process (the rest of the environment is inherited). */
  public java.util.Map<String, String> env() {
    return env;
  }

  /** A shell line that starts the process the same way. */
  public String shellLine() {
    StringBuilder sb = new StringBuilder();
    new java.util.TreeMap<>(env).forEach((k, v) -> sb.append(k).append('=').append(quote(v)).append(' '));
    for (String c : command) {
      sb.append(quote(c)).append(' ');
    }
    return sb.toString().trim();
  }

  private static String quote(String s) {
    return s.matches("[A-Za-z0-9_./:=,@%+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
  }

  public long startedNanos() {
    return startedNanos;
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM, then SIGKILL after a bounded wait. */
  public void stop() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** The last lines of the log, for error messages. */
  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | RuntimeException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + pid() + ")";
  }
}
