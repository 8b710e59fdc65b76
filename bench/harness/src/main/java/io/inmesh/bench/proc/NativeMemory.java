package io.inmesh.bench.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Native Memory Tracking: {@code jcmd PID VM.native_memory summary}, committed kB per category. */
public final class NativeMemory {
  private static final Pattern TOTAL = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");
  private static final Pattern CATEGORY = Pattern.compile("^-\\s+(.+?) \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)", Pattern.MULTILINE);

  private NativeMemory() {}

  /** Category → committed kB, with "Total" first; empty if jcmd failed. */
  public static Map<String, Long> committedKb(String jcmd, long pid) {
    try {
      ProcessBuilder pb = new ProcessBuilder(jcmd, Long.toString(pid), "VM.native_memory", "summary").redirectErrorStream(true);
      pb.environment().remove("JAVA_TOOL_OPTIONS");
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return Map.of();
      }
      return parse(out);
    } catch (IOException e) {
      return Map.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Map.of();
    }
  }

  public static Map<String, Long> parse(String out) {
    Map<String, Long> m = new LinkedHashMap<>();
    Matcher t = TOTAL.matcher(out);
    if (t.find()) {
      m.put("Total", Long.parseLong(t.group(2)));
    }
    Matcher c = CATEGORY.matcher(out);
    while (c.find()) {
      m.put(c.group(1).trim(), Long.parseLong(c.group(3)));
    }
    return m;
  }
}
