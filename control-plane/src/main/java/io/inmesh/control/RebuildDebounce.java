package io.inmesh.control;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * When the views are rebuilt: registry changes are coalesced into one rebuild per window, policy
 * changes are rebuilt at once.
 *
 * <p>A registry change after a quiet spell waits {@link #QUIET_WINDOW_MILLIS}; every change that
 * arrives meanwhile joins the same rebuild. While registry churn goes on (a change comes within
 * {@link #ROLLOUT_GAP_MILLIS} of the last registry-driven rebuild: a rollout, a fleet
 * re-registering), the window widens to {@link #ROLLOUT_WINDOW_MILLIS}: at 500 registrations a
 * second a view that carries a busy service is republished twice a second instead of ten times,
 * and each republish is an answer and a new poll for every agent on it (issue 9: at 10,000 agents
 * that churn, not memory, was what kept the fleet from converging). A new endpoint still reaches
 * its callers within the 1 s target. Rebuilds are also spaced by twice the last one's CPU time
 * (at most 2 s), so that under churn they take at most a third of the control plane's core. CPU
 * time, not wall time: on a core shared with other work a rebuild of 300 views took 2-3 s of wall
 * time for ~100 ms of CPU (bench/results/scale-2026-12-01), and spacing by that delayed every
 * change by seconds without saving any CPU.
 *
 * <p>The counters ({@code /v1/load}) show how much was coalesced: registry changes against
 * rebuilds.
 */
final class RebuildDebounce {

  /** A registry change after a quiet spell is applied this much later. */
  static final long QUIET_WINDOW_MILLIS = 100;
  /**
   * While registry churn goes on, changes are applied once per this window ({@code
   * -Dinmesh.control.rolloutWindowMillis=100} gives the behaviour before it, for an A/B).
   */
  static final long ROLLOUT_WINDOW_MILLIS = Long.getLong("inmesh.control.rolloutWindowMillis", 500);
  /** A registry change this soon after the last registry-driven rebuild means churn goes on. */
  static final long ROLLOUT_GAP_MILLIS = 1_000;
  /** The spacing by the last rebuild's duration never exceeds this. */
  static final long MAX_SPACING_MILLIS = 2_000;

  /** Runs {@code task} on the rebuild thread after {@code delayMillis}; may throw {@link RejectedExecutionException}. */
  interface Scheduler {
    void schedule(Runnable task, long delayMillis);
  }

  private final Scheduler scheduler;
  private final Runnable rebuild;
  private final LongSupplier nanoTime;
  private final LongSupplier threadCpuNanos;
  private final AtomicBoolean pending = new AtomicBoolean();
  private final AtomicBoolean registryPending = new AtomicBoolean();
  private final LongAdder registryChanges = new LongAdder();
  private final LongAdder rebuilds = new LongAdder();
  private volatile long lastCpuMillis;
  /** When the last rebuild that applied registry changes ended; 0: none yet. */
  private volatile long lastRegistryRebuildNanos;

  /**
   * @param nanoTime the monotonic clock
   * @param threadCpuNanos CPU time of the calling thread (the rebuild thread), in ns
   */
  RebuildDebounce(Scheduler scheduler, Runnable rebuild, LongSupplier nanoTime, LongSupplier threadCpuNanos) {
    this.scheduler = scheduler;
    this.rebuild = rebuild;
    this.nanoTime = nanoTime;
    this.threadCpuNanos = threadCpuNanos;
  }

  /** The registry moved: one rebuild for every change until it runs. */
  void registryChanged() {
    registryChanges.increment();
    registryPending.set(true);
    if (pending.compareAndSet(false, true)) {
      submit(registryWindowMillis());
    }
  }

  /** Something asked for a rebuild soon (a view built while something changed): the same window, not counted as a change. */
  void soon() {
    if (pending.compareAndSet(false, true)) {
      submit(registryWindowMillis());
    }
  }

  /**
   * A policy change is one event, not churn: rebuilt now, never after the window or the spacing.
   * A rebuild already pending for later stays scheduled; this one runs first and drains
   * everything, so the later one finds nothing to do.
   */
  void now() {
    pending.set(true);
    submit(0);
  }

  /** How long a registry change waits now. */
  long registryWindowMillis() {
    long last = lastRegistryRebuildNanos;
    boolean churn = last != 0 && nanoTime.getAsLong() - last < TimeUnit.MILLISECONDS.toNanos(ROLLOUT_GAP_MILLIS);
    long window = churn ? ROLLOUT_WINDOW_MILLIS : QUIET_WINDOW_MILLIS;
    return Math.max(window, Math.min(MAX_SPACING_MILLIS, 2 * lastCpuMillis));
  }

  long registryChanges() {
    return registryChanges.sum();
  }

  long rebuilds() {
    return rebuilds.sum();
  }

  private void submit(long delayMillis) {
    try {
      scheduler.schedule(this::run, delayMillis);
    } catch (RejectedExecutionException e) {
      pending.set(false); // shutting down
    }
  }

  private void run() {
    pending.set(false);
    boolean registry = registryPending.getAndSet(false);
    long cpuStart = threadCpuNanos.getAsLong();
    try {
      rebuild.run();
    } finally {
      long end = nanoTime.getAsLong();
      lastCpuMillis = TimeUnit.NANOSECONDS.toMillis(threadCpuNanos.getAsLong() - cpuStart);
      if (registry) {
        lastRegistryRebuildNanos = end == 0 ? 1 : end;
      }
      rebuilds.increment();
    }
  }
}
