package io.inmesh.bench.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Reads a process's CPU time and resident memory from /proc: utime+stime (fields 14 and 15 of
 * /proc/PID/stat, in clock ticks, all threads) and VmRSS of /proc/PID/status.
 */
public final class ProcStat {
  private static final double TICKS_PER_SECOND = readClockTicks();

  private ProcStat() {}

  /** utime + stime in clock ticks, from the text of /proc/PID/stat. */
  public static long cpuTicks(String stat) {
    // the command name (field 2) is in parentheses and may hold spaces or ')': split after the last ')'
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      throw new IllegalArgumentException("not a /proc/PID/stat line: " + stat);
    }
    String[] f = stat.substring(close + 1).trim().split("\\s+");
    // f[0] is field 3 (state); utime is field 14, stime field 15
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** VmRSS in kB, from the text of /proc/PID/status; -1 when absent (a zombie). */
  public static long vmRssKb(String status) {
    return statusKb(status, "VmRSS");
  }

  /** A "Name:  N kB" field of /proc/PID/status (VmRSS, RssAnon, RssFile…); -1 when absent. */
  public static long statusKb(String status, String field) {
    String key = field + ":";
    for (String line : status.split("\n")) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
      }
    }
    return -1;
  }

  /** VmRSS, RssAnon, RssFile of a live process in kB (each -1 if unreadable). */
  public static long[] rssBreakdownKb(long pid) {
    try {
      String s = Files.readString(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.ISO_8859_1);
      return new long[] {statusKb(s, "VmRSS"), statusKb(s, "RssAnon"), statusKb(s, "RssFile")};
    } catch (IOException | RuntimeException e) {
      return new long[] {-1, -1, -1};
    }
  }

  /** CPU time of a live process in microseconds; -1 if it is gone. */
  public static long cpuMicros(long pid) {
    try {
      return ticksToMicros(cpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1)));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  public static long rssKb(long pid) {
    try {
      return vmRssKb(Files.readString(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.ISO_8859_1));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  public static long ticksToMicros(long ticks) {
    return Math.round(ticks * 1e6 / TICKS_PER_SECOND);
  }

  public static double ticksPerSecond() {
    return TICKS_PER_SECOND;
  }

  private static double readClockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return Double.parseDouble(out);
      }
    } catch (IOException | RuntimeException e) {
      // fall through to Linux's usual USER_HZ
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}
