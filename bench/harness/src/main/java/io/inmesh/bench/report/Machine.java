package io.inmesh.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The machine a run measured on: CPU, cores, memory, kernel, OS, JDK and tool versions. */
public final class Machine {
  private Machine() {}

  public static Map<String, String> describe(Path java) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("cpu", firstMatch(read("/proc/cpuinfo"), "model name"));
    String online = io.inmesh.bench.proc.Cpus.onlineList();
    m.put("cores", io.inmesh.bench.proc.Cpus.count(online) + " online (" + online + ")");
    String memKb = firstMatch(read("/proc/meminfo"), "MemTotal").replaceAll("[^0-9]", "");
    m.put("memory", memKb.isEmpty() ? "?" : String.format("%.1f GiB", Long.parseLong(memKb) / 1048576.0));
    m.put("kernel", read("/proc/sys/kernel/osrelease").trim());
    m.put("os", firstMatch(read("/etc/os-release"), "PRETTY_NAME").replace("\"", ""));
    m.put("jdk (applications)", firstLines(run(List.of(java.toString(), "-version")), 2).replace("\n", " / "));
    m.put("jdk (harness)", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    m.put("haproxy", firstLines(run(List.of("haproxy", "-v")), 1));
    m.put("wrk", firstLines(run(List.of("wrk", "-v")), 1));
    m.put("openssl", firstLines(run(List.of("openssl", "version")), 1));
    return m;
  }

  /** The 1, 5 and 15 minute load averages (the first three fields of /proc/loadavg). */
  public static String loadAverage() {
    String[] f = read("/proc/loadavg").trim().split("\\s+");
    return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "?";
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static String firstMatch(String text, String key) {
    for (String line : text.split("\n")) {
      if (line.startsWith(key)) {
        int i = line.indexOf(line.contains(":") ? ':' : '=');
        return line.substring(i + 1).trim();
      }
    }
    return "?";
  }

  private static String firstLines(String text, int n) {
    String[] lines = text.strip().split("\n");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(n, lines.length); i++) {
      if (i > 0) {
        sb.append('\n');
      }
      sb.append(lines[i].strip());
    }
    return sb.toString();
  }

  private static String run(List<String> cmd) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().remove("JAVA_TOOL_OPTIONS");
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      return "(not found)";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "?";
    }
  }
}
