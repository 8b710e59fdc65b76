package io.inmesh.agent.upstream;

import io.inmesh.policy.model.ConnectionPoolSettings;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One cluster's circuit breakers, as Envoy keeps them per cluster (not per endpoint): requests in
 * flight, and requests waiting for a connection.
 *
 * <ul>
 *   <li>In flight ≥ {@code http2MaxRequests}: overflow (Envoy's max_requests).
 *   <li>HTTP/1.1: one request per connection, so in flight ≥ {@code maxConnections} means no free
 *       connection: the request waits, unless {@code http1MaxPendingRequests} already wait
 *       (overflow, Envoy's max_pending_requests).
 *   <li>HTTP/2 (multiplexed): only {@code http2MaxRequests} bounds requests.
 * </ul>
 *
 * Waiters are granted in arrival order as slots free, by completing their future on the thread
 * that freed the slot; nothing here blocks. Resilience4j's Bulkhead is not used: its semaphore
 * bulkhead blocks the caller while it waits and its thread-pool one runs the call on its own
 * threads, while a waiter here must be a future an event-loop library can chain on, and the
 * limits change with every policy push.
 */
final class RequestPool {
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Guarded by this. */
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  /** waiters.size(), readable without the lock (fast path, retry budget). */
  private volatile int waiting;
  /** The limits the last admission carried: a freed slot goes to a waiter only within them. */
  private volatile ConnectionPoolSettings limits = ConnectionPoolSettings.DEFAULT;

  final LongAdder overflows = new LongAdder();
  final LongAdder pendingTotal = new LongAdder();
  final LongAdder pendingCancelled = new LongAdder();

  int inFlight() {
    return inFlight.get();
  }

  int waiting() {
    return waiting;
  }

  /** Granted now, pending in line, or overflow; see the class comment for the limits. */
  Admission admit(ClusterState cluster, EndpointState endpoint, ConnectionPoolSettings pool, boolean multiplexed) {
    if (pool == null) {
      pool = ConnectionPoolSettings.DEFAULT;
    }
    if (limits != pool) {
      limits = pool;
    }
    long maxRequests = pool.http().http2MaxRequests();
    long maxConnections = multiplexed ? Long.MAX_VALUE : pool.tcp().maxConnections();
    long slots = Math.min(maxRequests, maxConnections);
    // Fast path: nobody waits, a slot is free. Claimed with a CAS so the limit is never exceeded.
    if (waiting == 0) {
      while (true) {
        int now = inFlight.get();
        if (now >= slots) {
          break;
        }
        if (inFlight.compareAndSet(now, now + 1)) {
          return new AttemptPermit(cluster, endpoint);
        }
      }
    }
    Waiter w;
    synchronized (this) {
      int now;
      while (true) {
        now = inFlight.get();
        if (now >= maxRequests) {
          overflows.increment();
          return Admission.Overflow.INSTANCE;
        }
        // HTTP/2 needs no connection of its own, so it does not queue behind HTTP/1.1 waiters.
        if (!((multiplexed || waiters.isEmpty()) && now < slots)) {
          break;
        }
        // A CAS, not an increment: the fast path above claims slots without this lock.
        if (inFlight.compareAndSet(now, now + 1)) {
          return new AttemptPermit(cluster, endpoint);
        }
      }
      if (multiplexed || waiters.size() >= pool.http().http1MaxPendingRequests()) {
        overflows.increment();
        return Admission.Overflow.INSTANCE;
      }
      w = new Waiter(this, cluster, endpoint);
      waiters.addLast(w);
      waiting = waiters.size();
      pendingTotal.increment();
    }
    // Slots may be free with others waiting when a policy push raised the limits: hand them out.
    drain();
    return new Admission.Pending(w);
  }

  /** A granted attempt ended: its slot goes to the oldest waiter, or back to the pool. */
  void release() {
    inFlight.decrementAndGet();
    if (waiting > 0) {
      drain();
    }
  }

  /** Grants waiters, oldest first, while the current limits leave slots free. */
  private void drain() {
    while (true) {
      Waiter next;
      synchronized (this) {
        next = waiters.peekFirst();
        if (next == null) {
          return;
        }
        ConnectionPoolSettings pool = limits;
        long slots = Math.min(pool.http().http2MaxRequests(), pool.tcp().maxConnections());
        int now = inFlight.get();
        if (now >= slots) {
          return;
        }
        if (!inFlight.compareAndSet(now, now + 1)) {
          continue; // an HTTP/2 admission took a slot meanwhile: look again
        }
        waiters.pollFirst();
        waiting = waiters.size();
      }
      // Completed outside the lock: the waiter's continuation may run right here.
      if (!next.grant()) {
        inFlight.decrementAndGet(); // it gave up between our poll and the grant: next one
      }
    }
  }

  private synchronized boolean remove(Waiter w) {
    boolean removed = waiters.remove(w);
    waiting = waiters.size();
    return removed;
  }

  /** A waiting admission. Cancelling or failing it (a deadline) gives up its place in line. */
  static final class Waiter extends CompletableFuture<Permit> {
    private final RequestPool pool;
    private final ClusterState cluster;
    private final EndpointState endpoint;

    Waiter(RequestPool pool, ClusterState cluster, EndpointState endpoint) {
      this.pool = pool;
      this.cluster = cluster;
      this.endpoint = endpoint;
    }

    boolean grant() {
      AttemptPermit permit = new AttemptPermit(cluster, endpoint);
      if (complete(permit)) {
        return true;
      }
      permit.abandon();
      return false;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled && pool.remove(this)) {
        pool.pendingCancelled.increment();
      }
      return cancelled;
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
      boolean failed = super.completeExceptionally(ex);
      if (failed && pool.remove(this)) {
        pool.pendingCancelled.increment();
      }
      return failed;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
      return new CompletableFuture<>(); // dependents are plain futures, not waiters in this pool
    }
  }
}
