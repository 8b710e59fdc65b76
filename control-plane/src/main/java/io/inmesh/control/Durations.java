package io.inmesh.control;

import java.time.Duration;

/** The duration syntax of flags and query parameters: {@code 5s}, {@code 500ms}, {@code 2m}, or plain seconds. */
public final class Durations {

  private Durations() {}

  /** @throws IllegalArgumentException with a message fit to show a user */
  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty duration (use e.g. 5s, 500ms, 2m, 24h)");
    }
    String s = text.trim();
    try {
      if (s.endsWith("ms")) {
        return nonNegative(Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2))), text);
      }
      if (s.endsWith("s")) {
        return nonNegative(ofSeconds(s.substring(0, s.length() - 1)), text);
      }
      if (s.endsWith("m")) {
        return nonNegative(Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1))), text);
      }
      if (s.endsWith("h")) {
        return nonNegative(Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1))), text);
      }
      if (s.endsWith("d")) {
        return nonNegative(Duration.ofDays(Long.parseLong(s.substring(0, s.length() - 1))), text);
      }
      return nonNegative(ofSeconds(s), text);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("\"" + text + "\" is not a duration (use e.g. 5s, 500ms, 2m)");
    }
  }

  /** Seconds for JSON: a whole number when whole, so agents can read either form. */
  public static Number seconds(Duration d) {
    if (d.toMillis() % 1000 == 0) {
      return d.toSeconds();
    }
    return d.toMillis() / 1000.0;
  }

  public static String format(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  private static Duration ofSeconds(String number) {
    if (number.contains(".")) {
      return Duration.ofMillis(Math.round(Double.parseDouble(number) * 1000));
    }
    return Duration.ofSeconds(Long.parseLong(number));
  }

  private static Duration nonNegative(Duration d, String text) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("\"" + text + "\" is negative");
    }
    return d;
  }
}
