package io.inmesh.agent.upstream;

import io.inmesh.agent.retry.FailureKind;

/**
 * How one attempt ended, as outlier detection and the latency estimate see it.
 *
 * @param status the response status; 0 when {@code failure} is set
 * @param failure why no response came, or null when one did
 */
public record AttemptResult(int status, FailureKind failure) {
  public AttemptResult {
    if (failure == null && (status < 100 || status > 599)) {
      throw new IllegalArgumentException("status " + status + " is not an HTTP status (100-599) and no failure is given");
    }
    if (failure != null && status != 0) {
      throw new IllegalArgumentException("status must be 0 when the attempt failed (" + failure + "), was " + status);
    }
  }

  private static final AttemptResult[] RESPONSES = new AttemptResult[500];
  private static final AttemptResult[] FAILURES = new AttemptResult[FailureKind.values().length];

  static {
    for (int s = 100; s <= 599; s++) {
      RESPONSES[s - 100] = new AttemptResult(s, null);
    }
    for (FailureKind k : FailureKind.values()) {
      FAILURES[k.ordinal()] = new AttemptResult(0, k);
    }
  }

  /** A response with {@code status} (shared instances: no allocation per attempt). */
  public static AttemptResult response(int status) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status " + status + " is not an HTTP status (100-599)");
    }
    return RESPONSES[status - 100];
  }

  /** No response, because of {@code failure}. */
  public static AttemptResult failed(FailureKind failure) {
    if (failure == null) {
      throw new IllegalArgumentException("failure is null");
    }
    return FAILURES[failure.ordinal()];
  }

  /** True for a failure that happened on this side of the connection (connect failure, reset, timeout). */
  boolean localOrigin() {
    return failure != null;
  }

  /** Attempts that never reached the endpoint, or that the caller abandoned, say nothing about it. */
  boolean saysNothingAboutEndpoint() {
    return failure == FailureKind.OVERFLOW || failure == FailureKind.CANCELLED;
  }
}
