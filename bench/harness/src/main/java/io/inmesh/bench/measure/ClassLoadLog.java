package io.inmesh.bench.measure;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a {@code -Xlog:class+load=info:file=...:uptime} log: how many classes loaded, grouped by
 * where they came from, and when milestone classes first loaded (the agent's entry, the SDK's
 * autoconfiguration, the instrumentation loader, inmesh's engine, the application's main class) —
 * a cheap timeline of what startup goes to.
 */
public final class ClassLoadLog {
  private static final Pattern LINE = Pattern.compile("^\\[([\\d.]+)s\\]\\s+(\\S+) source: (.*)$");

  /** Milestone label → class whose first load marks it. */
  public static final Map<String, String> MILESTONES = milestones();

  private ClassLoadLog() {}

  private static Map<String, String> milestones() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("agent premain starts", "io.opentelemetry.javaagent.OpenTelemetryAgent");
    m.put("SDK autoconfiguration", "io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk");
    m.put("instrumentations installed from", "io.opentelemetry.javaagent.tooling.instrumentation.InstrumentationLoader");
    m.put("inmesh engine", "io.inmesh.agent.MeshAgent");
    return m;
  }

  /** Totals, by source, milestone uptimes (ms; absent ones missing) and the watched class's uptime. */
  public record Summary(int total, int beforeWatched, Map<String, Integer> bySource, Map<String, Double> milestones, double classLoadedAtMillis) {}

  public static Summary parse(String log, String watchedClass) {
    Map<String, Integer> by = new TreeMap<>();
    Map<String, Double> marks = new LinkedHashMap<>();
    int total = 0;
    int before = -1;
    double at = Double.NaN;
    List<Map.Entry<String, String>> wanted = List.copyOf(MILESTONES.entrySet());
    for (String line : log.split("\n")) {
      Matcher m = LINE.matcher(line.trim());
      if (!m.matches()) {
        continue;
      }
      total++;
      by.merge(category(m.group(3)), 1, Integer::sum);
      double ms = Double.parseDouble(m.group(1)) * 1000;
      String cls = m.group(2);
      for (Map.Entry<String, String> w : wanted) {
        if (w.getValue().equals(cls) && !marks.containsKey(w.getKey())) {
          marks.put(w.getKey(), ms);
        }
      }
      if (Double.isNaN(at) && cls.equals(watchedClass)) {
        at = ms;
        before = total - 1;
      }
    }
    return new Summary(total, before, new LinkedHashMap<>(by), marks, at);
  }

  static String category(String source) {
    if (source.startsWith("shared objects file")) {
      return "JDK, from the CDS archive";
    }
    if (source.startsWith("jrt:/") || source.endsWith("/lib/modules")) {
      return "JDK, not from CDS";
    }
    if (source.contains("opentelemetry-javaagent") || source.contains("inmesh-agent")) {
      return "agent jar";
    }
    if (source.startsWith("otel:/")) {
      return "agent extension (otel:/)";
    }
    if (source.contains("inmesh-bench") || source.contains("usuario-service") || source.contains("pedido-service") || source.startsWith("nested:") || source.startsWith("jar:nested:")) {
      return "application";
    }
    if (source.startsWith("__") || !source.contains(":") && !source.contains("/")) {
      // lambda forms, hidden classes, proxies: named after the class that defined them
      return "generated at run time";
    }
    return "other";
  }
}
