package io.inmesh.policy.log;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent's own log: one line per event on stderr, prefixed {@code [inmesh]}, quiet by default
 * (the application's output is not ours). {@code INMESH_LOG_LEVEL=debug} shows more. Repetitive
 * conditions (control plane unreachable, an internal error) are logged once until they clear.
 */
public final class Log {
  public enum Level {
    DEBUG,
    INFO,
    WARN,
    ERROR
  }

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
  private static final Set<String> ONCE = ConcurrentHashMap.newKeySet();
  private static volatile Level threshold = parse(lookup());

  private Log() {}

  private static String lookup() {
    String v = System.getProperty("inmesh.log.level");
    return v != null ? v : System.getenv("INMESH_LOG_LEVEL");
  }

  static Level parse(String s) {
    if (s == null) {
      return Level.INFO;
    }
    try {
      return Level.valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return Level.INFO;
    }
  }

  public static boolean debugEnabled() {
    return threshold == Level.DEBUG;
  }

  public static void debug(String msg) {
    log(Level.DEBUG, msg);
  }

  public static void info(String msg) {
    log(Level.INFO, msg);
  }

  public static void warn(String msg) {
    log(Level.WARN, msg);
  }

  public static void error(String msg) {
    log(Level.ERROR, msg);
  }

  /** Logs under {@code key} only the first time until {@link #clear(String)}; true when it logged. */
  public static boolean once(Level level, String key, String msg) {
    if (ONCE.add(key)) {
      log(level, msg);
      return true;
    }
    return false;
  }

  /** Returns true when {@code key} had been logged (the condition it named has now cleared). */
  public static boolean clear(String key) {
    return ONCE.remove(key);
  }

  private static void log(Level level, String msg) {
    if (level.ordinal() < threshold.ordinal()) {
      return;
    }
    String line =
        "[inmesh] " + LocalTime.now().format(TIME) + " " + (level == Level.INFO ? "" : level.name().toLowerCase() + ": ") + msg;
    System.err.println(line);
  }
}
