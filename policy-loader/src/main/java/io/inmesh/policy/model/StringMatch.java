package io.inmesh.policy.model;

import com.google.re2j.Pattern;

/**
 * Istio's StringMatch: exact, prefix or regex. Regexes use RE2 semantics (linear time, so a hostile
 * pattern cannot stall a request), are compiled once, and must match the whole value, as in Istio.
 */
public record StringMatch(Kind kind, String value, Pattern regex) {
  public enum Kind {
    EXACT,
    PREFIX,
    REGEX
  }

  public static StringMatch exact(String v) {
    return new StringMatch(Kind.EXACT, v, null);
  }

  public static StringMatch prefix(String v) {
    return new StringMatch(Kind.PREFIX, v, null);
  }

  public static StringMatch regex(String v) {
    return new StringMatch(Kind.REGEX, v, Pattern.compile(v));
  }

  public boolean matches(String actual) {
    if (actual == null) {
      return false;
    }
    return switch (kind) {
      case EXACT -> value.equals(actual);
      case PREFIX -> actual.startsWith(value);
      case REGEX -> regex.matches(actual);
    };
  }

  /**
   * Matches {@code actual[0, end)} without copying for exact and prefix; {@code ignoreCase} applies
   * to exact and prefix only (Istio's ignoreUriCase ignores case "only in the case of exact and
   * prefix URI matches").
   */
  public boolean matches(String actual, int end, boolean ignoreCase) {
    return switch (kind) {
      case EXACT -> end == value.length() && actual.regionMatches(ignoreCase, 0, value, 0, end);
      case PREFIX -> end >= value.length() && actual.regionMatches(ignoreCase, 0, value, 0, value.length());
      case REGEX -> regex.matches(end == actual.length() ? actual : actual.substring(0, end));
    };
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + value;
  }
}
