package io.inmesh.policy.log;

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
        "[inmesh] " + clock(System.currentTimeMillis()) + " " + (level == Level.INFO ? "" : level.name().toLowerCase() + ": ") + msg;
    System.err.println(line);
  }

  /**
   * Local wall-clock time as HH:mm:ss.SSS, by arithmetic: {@code DateTimeFormatter} would load the
   * JDK's locale-provider machinery (CLDR data, some hundred classes) in premain of every JVM the
   * agent joins, for the first log line (issue 13).
   */
  static String clock(long epochMillis) {
    long local = epochMillis + java.util.TimeZone.getDefault().getOffset(epochMillis);
    long ms = Math.floorMod(local, 86_400_000L);
    StringBuilder b = new StringBuilder(12);
    two(b, ms / 3_600_000).append(':');
    two(b, ms / 60_000 % 60).append(':');
    two(b, ms / 1000 % 60).append('.');
    long frac = ms % 1000;
    return b.append(frac < 100 ? (frac < 10 ? "00" : "0") : "").append(frac).toString();
  }

  private static StringBuilder two(StringBuilder b, long v) {
    return b.append(v < 10 ? "0" : "").append(v);
  }
}
