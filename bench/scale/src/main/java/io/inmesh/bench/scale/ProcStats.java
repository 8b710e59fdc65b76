package io.inmesh.bench.scale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** A process's CPU time, resident memory, threads and open files, read from /proc. */
record ProcStats(long cpuTicks, long rssKb, int threads, int openFiles) {

  /** Clock ticks per second as Linux reports CPU time in /proc/PID/stat (USER_HZ, 100 everywhere). */
  static final int TICKS_PER_SECOND = 100;

  static ProcStats of(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    // fields after the command name (which may hold spaces) start after the last ')'
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long utime = Long.parseLong(f[11]);
    long stime = Long.parseLong(f[12]);
    long rss = 0;
    int threads = 0;
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
      } else if (line.startsWith("Threads:")) {
        threads = Integer.parseInt(line.replaceAll("[^0-9]", ""));
      }
    }
    int fds;
    try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      fds = (int) s.count();
    }
    return new ProcStats(utime + stime, rss, threads, fds);
  }

  /** CPU used between two readings, in cores (1.0 = one core busy all the time). */
  static double cores(ProcStats before, ProcStats after, long elapsedNanos) {
    double cpuSeconds = (after.cpuTicks - before.cpuTicks) / (double) TICKS_PER_SECOND;
    return cpuSeconds / (elapsedNanos / 1e9);
  }
}
