package io.inmesh.smoke.faults;

import com.fasterxml.jackson.databind.JsonNode;
import io.inmesh.smoke.Proc;
import io.inmesh.smoke.Smoke;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A meshed JVM's resources as the operating system and the agent's admin port report them: threads
 * ({@code /proc/<pid>/status}), open file descriptors ({@code /proc/<pid>/fd}), sockets it holds to
 * the control plane (its socket fds matched against {@code /proc/net/tcp[6]}), the agent's own
 * threads and the heap in use right after a full GC ({@code jcmd GC.run}, then {@code /stats}).
 */
public final class AgentResources {
  private static final Path JCMD = Path.of(Smoke.JAVA).getParent().resolve("jcmd");

  /**
   * One measurement. The agent's admin/health request workers come and go with the requests made
   * to measure it (idle ones end after 30 s), and the JIT adds and retires compiler threads with
   * load, so thread counts are compared without either; {@code threadNames} (from
   * {@code /proc/<pid>/task/<tid>/comm}, digits dropped) says which threads a difference is made of.
   */
  public record Figures(
      long threads, long compilerThreads, long inmeshThreads, long requestWorkers, long fds, long heapAfterGcBytes, Map<String, Integer> threadNames) {
    /** The process's threads, the agent's request workers and the JIT's compiler threads aside. */
    public long steadyThreads() {
      return threads - requestWorkers - compilerThreads;
    }

    /** The agent's own threads, request workers aside. */
    public long steadyInmeshThreads() {
      return inmeshThreads - requestWorkers;
    }

    /** Thread names whose count differs from {@code before}'s, as "name before→now". */
    public String threadNamesChangedSince(Figures before) {
      Set<String> names = new java.util.TreeSet<>(threadNames.keySet());
      names.addAll(before.threadNames.keySet());
      StringBuilder sb = new StringBuilder();
      for (String n : names) {
        int b = before.threadNames.getOrDefault(n, 0);
        int a = threadNames.getOrDefault(n, 0);
        if (a != b) {
          sb.append(sb.length() == 0 ? "" : ", ").append('"').append(n).append("\" ").append(b).append("→").append(a);
        }
      }
      return sb.length() == 0 ? "none" : sb.toString();
    }

    public String brief() {
      return String.format(
          Locale.ROOT,
          "threads %d (inmesh %d, + %d request workers, + %d JIT compiler threads), fds %d, heap after GC %.1f MiB",
          steadyThreads(),
          steadyInmeshThreads(),
          requestWorkers,
          compilerThreads,
          fds,
          heapAfterGcBytes / 1048576.0);
    }
  }

  private AgentResources() {}

  public static Figures measure(Proc p, String adminAddress) {
    fullGc(p);
    JsonNode jvm = Smoke.getJson("http://" + adminAddress + ":15000/stats").path("jvm");
    Map<String, Integer> names = threadNames(p);
    long compiler = names.entrySet().stream().filter(e -> e.getKey().contains("CompilerThre")).mapToLong(Map.Entry::getValue).sum();
    return new Figures(
        threads(p), compiler, jvm.path("inmeshThreads").asLong(), jvm.path("inmeshRequestWorkers").asLong(), fds(p), jvm.path("heapUsedBytes").asLong(), names);
  }

  public static long threads(Proc p) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
        if (line.startsWith("Threads:")) {
          return Long.parseLong(line.substring(8).trim());
        }
      }
    } catch (IOException e) {
      throw new AssertionError(p.name() + " has no /proc entry (exited?)", e);
    }
    throw new AssertionError("no Threads line in /proc/" + p.pid() + "/status");
  }

  /** Thread names (Linux truncates them to 15 characters) with digits dropped → how many. */
  public static Map<String, Integer> threadNames(Proc p) {
    Map<String, Integer> names = new java.util.TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/" + p.pid() + "/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          names.merge(Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "#"), 1, Integer::sum);
        } catch (IOException e) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      throw new AssertionError(p.name() + " has no /proc entry (exited?)", e);
    }
    return names;
  }

  public static long fds(Proc p) {
    try (Stream<Path> s = Files.list(Path.of("/proc/" + p.pid() + "/fd"))) {
      return s.count();
    } catch (IOException e) {
      throw new AssertionError(p.name() + " has no /proc entry (exited?)", e);
    }
  }

  /** TCP sockets of {@code p} connected to {@code remote} (any state but listening). */
  public static long socketsTo(Proc p, InetSocketAddress remote) {
    Set<String> inodes = new HashSet<>();
    String port = String.format(Locale.ROOT, "%04X", remote.getPort());
    byte[] a = remote.getAddress().getAddress();
    // /proc/net/tcp writes an IPv4 address as one little-endian word; tcp6 ends a v4-mapped
    // address with the same word
    String word = String.format(Locale.ROOT, "%02X%02X%02X%02X", a[3], a[2], a[1], a[0]) + ":" + port;
    for (String table : List.of("tcp", "tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/net/" + table))) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 9 && f[2].endsWith(word) && !f[3].equals("0A")) {
            inodes.add(f[9]);
          }
        }
      } catch (IOException e) {
        // no such table (IPv6 off)
      }
    }
    long n = 0;
    try (Stream<Path> s = Files.list(Path.of("/proc/" + p.pid() + "/fd"))) {
      for (Path fd : (Iterable<Path>) s::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1))) {
            n++;
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    } catch (IOException e) {
      throw new AssertionError(p.name() + " has no /proc entry (exited?)", e);
    }
    return n;
  }

  /** A full collection, so the heap figure that follows is what is live, not what is garbage. */
  static void fullGc(Proc p) {
    try {
      Process j =
          new ProcessBuilder(JCMD.toString(), Long.toString(p.pid()), "GC.run")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!j.waitFor(60, TimeUnit.SECONDS)) {
        j.destroyForcibly();
        throw new AssertionError("jcmd GC.run on " + p.name() + " did not finish");
      }
      if (j.exitValue() != 0) {
        throw new AssertionError("jcmd GC.run on " + p.name() + " failed with " + j.exitValue());
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + JCMD, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
