package io.inmesh.agent.upstream;

import java.util.concurrent.CompletableFuture;

/**
 * The connection pool's answer to one attempt (Envoy circuit-breaker semantics): granted now,
 * pending (waiting for a slot, without a parked thread), or overflow (503 UO, never retried).
 */
public sealed interface Admission permits Admission.Granted, Admission.Pending, Admission.Overflow {

  /** The permit when granted now, else null. */
  default Permit granted() {
    return null;
  }

  /**
   * When pending: completed with the permit once a slot frees, in arrival order. The caller may
   * block on it (sync libraries) or chain on it (async ones), and cancels it at its deadline
   * ({@code cancel(false)} or {@code orTimeout}), which gives up its place. Null otherwise.
   */
  default CompletableFuture<Permit> pending() {
    return null;
  }

  /** True when the pool is full: answer 503 with Envoy's overflow body and flag UO. */
  default boolean overflow() {
    return false;
  }

  /** Granted now. */
  non-sealed interface Granted extends Admission {
    @Override
    Permit granted();
  }

  /** Waiting for a slot. */
  record Pending(CompletableFuture<Permit> future) implements Admission {
    @Override
    public CompletableFuture<Permit> pending() {
      return future;
    }
  }

  /** Refused: the pool and its pending queue are full. */
  final class Overflow implements Admission {
    static final Overflow INSTANCE = new Overflow();

    private Overflow() {}

    @Override
    public boolean overflow() {
      return true;
    }

    @Override
    public String toString() {
      return "Overflow";
    }
  }
}
