package io.inmesh.agent.upstream;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * A retry's place in its cluster's retry concurrency (retry budget or maxRetries), from
 * {@link ClusterState#admitRetry}. Release it when the retry attempt ends; later calls do nothing.
 */
public final class RetryToken {
  /** For retries that count against no cluster (pass-through destinations): releasing does nothing. */
  public static final RetryToken NONE = new RetryToken(null);

  private static final AtomicIntegerFieldUpdater<RetryToken> RELEASED =
      AtomicIntegerFieldUpdater.newUpdater(RetryToken.class, "released");

  private final ClusterState cluster;
  private volatile int released;

  RetryToken(ClusterState cluster) {
    this.cluster = cluster;
  }

  public void release() {
    if (cluster != null && RELEASED.compareAndSet(this, 0, 1)) {
      cluster.retryEnded();
    }
  }
}
