package io.inmesh.agent.upstream;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * A retry's place in its cluster's retry concurrency (retry budget or maxRetries). Release it
 * when the retry attempt ends; later calls do nothing. {@link #admitted()} false: the retry must
 * not start (Envoy counts it as upstream_rq_retry_overflow and returns the last response).
 */
public final class RetryToken {
  static final RetryToken DENIED = new RetryToken(null);
  private static final AtomicIntegerFieldUpdater<RetryToken> RELEASED =
      AtomicIntegerFieldUpdater.newUpdater(RetryToken.class, "released");

  private final ClusterState cluster;
  private volatile int released;

  RetryToken(ClusterState cluster) {
    this.cluster = cluster;
  }

  public boolean admitted() {
    return cluster != null;
  }

  public void release() {
    if (cluster != null && RELEASED.compareAndSet(this, 0, 1)) {
      cluster.retryEnded();
    }
  }
}
