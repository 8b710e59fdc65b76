package io.inmesh.policy.control;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * The {@code Retry-After} header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. A control plane
 * that sheds load with 503 + Retry-After is asking every agent to stay away that long; honouring it
 * is what lets it recover. The wait is capped so that a wrong header cannot disconnect an agent for
 * hours.
 */
final class RetryAfter {
  static final Duration MAX = Duration.ofSeconds(120);

  private RetryAfter() {}

  /** The wait the header asks for (capped at {@link #MAX}), or null when absent or unreadable. */
  static Duration parse(String value, Instant now) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    Duration d;
    if (v.chars().allMatch(Character::isDigit)) {
      try {
        d = Duration.ofSeconds(Long.parseLong(v));
      } catch (NumberFormatException e) {
        d = MAX; // more digits than a long: "a very long time"
      }
    } else {
      try {
        d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
      } catch (DateTimeParseException e) {
        return null;
      }
      if (d.isNegative()) {
        d = Duration.ZERO;
      }
    }
    return d.compareTo(MAX) > 0 ? MAX : d;
  }
}
