package io.inmesh.policy.control;

import java.io.IOException;
import java.time.Duration;

/**
 * The control plane answered, but not with success: a failure for backoff purposes (an error
 * answer never resets the failure count), carrying the {@code Retry-After} it asked for, if any.
 */
public final class ErrorAnswer extends IOException {
  private final int status;
  private final transient Duration retryAfter;

  ErrorAnswer(String what, int status, String body, Duration retryAfter) {
    super(what + " answered " + status + (body == null || body.isBlank() ? "" : ": " + abbreviate(body.strip())));
    this.status = status;
    this.retryAfter = retryAfter;
  }

  public int status() {
    return status;
  }

  /** What the control plane asked for in Retry-After (already capped), or null. */
  public Duration retryAfter() {
    return retryAfter;
  }

  /** Short and printable: the body may be anything, and it ends up in a log line. */
  private static String abbreviate(String s) {
    String cut = s.length() > 200 ? s.substring(0, 200) + "…" : s;
    StringBuilder b = new StringBuilder(cut.length());
    cut.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) || c == 0xFFFD ? '?' : c));
    return b.toString();
  }
}
