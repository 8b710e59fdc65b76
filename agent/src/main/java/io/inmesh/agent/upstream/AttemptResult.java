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

  public static AttemptResult response(int status) {
    return new AttemptResult(status, null);
  }

  public static AttemptResult failed(FailureKind failure) {
    if (failure == null) {
      throw new IllegalArgumentException("failure is null");
    }
    return new AttemptResult(0, failure);
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
