package io.inmesh.smoke.faults;

import java.time.Duration;

/** What the {@link FaultProxy} does to the control-plane traffic passing through it. */
public sealed interface Fault {

  /** Forwards every request and answer untouched. */
  record Pass() implements Fault {}

  /** Accepts connections and reads requests, never answers; held connections close when it clears. */
  record Hang() implements Fault {}

  /**
   * Forwards each request at once and holds the control plane's answer for {@code delay}: register
   * and heartbeat are answered after it, a long-poll after its wait plus it.
   */
  record Slow(Duration delay) implements Fault {}

  /** Not listening: connections are refused. */
  record Refuse() implements Fault {}

  /** Answers {@code status} itself (with {@code Retry-After} when not null) without forwarding. */
  record Status(int status, String retryAfter) implements Fault {}

  /** Forwards, then sends the answer's head and only half its body, and closes. */
  record Truncate() implements Fault {}

  /** Forwards, then answers garbage: alternately random bytes, and the real head with a random body. */
  record Garbage() implements Fault {}

  /**
   * Forwards, and turns each snapshot (a 200 to a poll) into a well-formed one that fails
   * validation: a new version, every endpoint removed and a VirtualService with an impossible
   * weight. Applied, it would break every mesh call; it must be refused whole.
   */
  record InvalidSnapshot() implements Fault {}

  static Fault pass() {
    return new Pass();
  }
}
