package io.inmesh.policy.control;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff with decorrelated jitter ("Exponential Backoff And Jitter", AWS
 * Architecture Blog, 2015): each delay is drawn uniformly from [base, 3 × previous delay], capped.
 *
 * <p>Why decorrelated rather than full jitter: both spread a fleet that lost its control plane at
 * the same instant over the whole window (equal jitter, which this replaced, leaves half the window
 * empty and bunches reconnects), but full jitter draws from [0, cap] and so sends some agents back
 * almost at once, again and again; decorrelated jitter never retries sooner than {@code base}, so a
 * failing control plane is never hit in a burst by one agent, and it needs no attempt counter that
 * could overflow. The delay grows only with failures: {@link #succeeded()} is the only reset, and
 * an error answer is a failure like any other.
 */
final class Backoff {
  private final long baseMs;
  private final long capMs;
  private long previousMs;
  private int failures;

  Backoff(long baseMs, long capMs) {
    if (baseMs <= 0 || capMs < baseMs) {
      throw new IllegalArgumentException("backoff needs 0 < base <= cap, got base=" + baseMs + " cap=" + capMs);
    }
    this.baseMs = baseMs;
    this.capMs = capMs;
    this.previousMs = baseMs;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  long failed() {
    failures = failures == Integer.MAX_VALUE ? failures : failures + 1;
    long upper = Math.min(capMs, Math.max(baseMs, previousMs) * 3);
    long delay = baseMs + ThreadLocalRandom.current().nextLong(upper - baseMs + 1);
    previousMs = delay;
    return delay;
  }

  void succeeded() {
    failures = 0;
    previousMs = baseMs;
  }

  /** Consecutive failures since the last success. */
  int failures() {
    return failures;
  }
}
