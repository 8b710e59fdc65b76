package io.inmesh.bench.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine's online CPUs, from /sys — not {@code availableProcessors()}, which inside the pinned
 * harness says 1 (and would pin every child to that one CPU too).
 */
public final class Cpus {
  private Cpus() {}

  /** The kernel's list, e.g. {@code 0-1} or {@code 0,2-3}. */
  public static String onlineList() {
    try {
      return Files.readString(Path.of("/sys/devices/system/cpu/online")).trim();
    } catch (IOException e) {
      return "0-" + (Runtime.getRuntime().availableProcessors() - 1);
    }
  }

  public static int count(String list) {
    int n = 0;
    for (String part : list.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int dash = p.indexOf('-');
      n += dash < 0 ? 1 : Integer.parseInt(p.substring(dash + 1)) - Integer.parseInt(p.substring(0, dash)) + 1;
    }
    return n;
  }
}
