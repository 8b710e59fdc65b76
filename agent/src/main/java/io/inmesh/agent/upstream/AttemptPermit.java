package io.inmesh.agent.upstream;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/** A granted attempt: counts on its endpoint from grant to release. */
final class AttemptPermit implements Permit, Admission.Granted {
  private static final AtomicIntegerFieldUpdater<AttemptPermit> RELEASED =
      AtomicIntegerFieldUpdater.newUpdater(AttemptPermit.class, "released");

  private final ClusterState cluster;
  private final EndpointState endpoint;
  private volatile int released;

  AttemptPermit(ClusterState cluster, EndpointState endpoint) {
    this.cluster = cluster;
    this.endpoint = endpoint;
    endpoint.active.incrementAndGet();
  }

  @Override
  public Permit granted() {
    return this;
  }

  @Override
  public EndpointState endpoint() {
    return endpoint;
  }

  @Override
  public void release(AttemptResult result, long latencyNanos) {
    if (!RELEASED.compareAndSet(this, 0, 1)) {
      return;
    }
    endpoint.active.decrementAndGet();
    cluster.attemptEnded(endpoint, result, latencyNanos);
  }

  /** A waiter's permit that was never delivered: undo the endpoint count only (the slot is handed on). */
  void abandon() {
    if (RELEASED.compareAndSet(this, 0, 1)) {
      endpoint.active.decrementAndGet();
    }
  }

  @Override
  public String toString() {
    return "Permit{" + endpoint + (released != 0 ? ", released" : "") + "}";
  }
}
