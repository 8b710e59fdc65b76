package io.inmesh.agent.upstream;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runtime state of one endpoint of one cluster: active requests, the peak-EWMA latency estimate
 * and the outlier detector's counters and ejection. Keyed by address inside its {@link
 * ClusterState}, so it survives new snapshots that keep the endpoint.
 */
public final class EndpointState {
  /** Linkerd's default RTT for an endpoint with no observation yet: never zero, so new ones are not flooded. */
  static final long DEFAULT_RTT_NANOS = 30_000_000L;
  /** Linkerd's peak-EWMA decay time constant. */
  static final double DECAY_NANOS = 10_000_000_000.0;

  private final InetSocketAddress address;
  /** Stable text for consistent hashing: the same endpoint hashes the same in every snapshot. */
  final String hashKey;
  final AtomicInteger active = new AtomicInteger();

  // Peak EWMA, guarded by this.
  private double rttNanos = DEFAULT_RTT_NANOS;
  private long rttStampNanos;
  private boolean rttObserved;

  // Outlier detection, guarded by this (counters) and the cluster's outlier lock (ejections).
  int consecutive5xx;
  int consecutiveGateway;
  int consecutiveLocalOrigin;
  /** Ejection multiplier (Envoy's num_ejections): grows per ejection, decays while healthy. */
  int ejectionMultiplier;
  long totalEjections;
  /** When the current (or last) ejection ends; 0 when never ejected. Read without lock by pick. */
  volatile long ejectedUntilNanos;
  volatile boolean ejected;

  /** Last time a snapshot listed this endpoint (for pruning endpoints gone for a while). */
  volatile long lastListedNanos;

  EndpointState(InetSocketAddress address, long now) {
    this.address = address;
    this.hashKey = address.getHostString() + ":" + address.getPort();
    this.lastListedNanos = now;
    this.rttStampNanos = now;
  }

  public InetSocketAddress address() {
    return address;
  }

  /** Attempts admitted to this endpoint and not yet released. */
  public int activeRequests() {
    return active.get();
  }

  /** Whether outlier detection has this endpoint ejected at {@code nowNanos}. */
  public boolean ejectedAt(long nowNanos) {
    return ejected && nowNanos - ejectedUntilNanos < 0;
  }

  /** How many times outlier detection ejected this endpoint. */
  public synchronized long totalEjections() {
    return totalEjections;
  }

  /**
   * The latency estimate at {@code now}: the peak EWMA, drifting back toward the default RTT while
   * nothing is observed, so an endpoint that lost every comparison is probed again later (a pure
   * EWMA would keep a once-slow endpoint's peak forever, as it gets no traffic to lower it).
   */
  synchronized double rttNanos(long now) {
    if (!rttObserved) {
      return DEFAULT_RTT_NANOS;
    }
    double elapsed = Math.max(0, now - rttStampNanos);
    double w = Math.exp(-elapsed / DECAY_NANOS);
    return rttNanos * w + DEFAULT_RTT_NANOS * (1 - w);
  }

  /**
   * Peak EWMA (Linkerd): a sample above the estimate replaces it at once; lower samples pull it
   * down with weight depending on the time since the last sample.
   */
  synchronized void observeRtt(long sampleNanos, long now) {
    double sample = Math.max(1, sampleNanos);
    if (!rttObserved) {
      rttNanos = sample;
      rttObserved = true;
    } else if (sample > rttNanos) {
      rttNanos = sample;
    } else {
      double elapsed = Math.max(0, now - rttStampNanos);
      double w = Math.exp(-elapsed / DECAY_NANOS);
      rttNanos = rttNanos * w + sample * (1 - w);
    }
    rttStampNanos = now;
  }

  /** A failed attempt says the endpoint is worse than it looked: at least double the estimate. */
  synchronized void penalize(long sampleNanos, long now) {
    double current = rttObserved ? rttNanos : DEFAULT_RTT_NANOS;
    rttNanos = Math.max(sampleNanos, current * 2);
    rttObserved = true;
    rttStampNanos = now;
  }

  synchronized Map<String, Object> describe(long now) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("address", hashKey);
    m.put("activeRequests", active.get());
    m.put("latencyEwmaMillis", Math.round(rttNanos(now) / 1e4) / 100.0);
    m.put("ejected", ejectedAt(now));
    if (ejectedAt(now)) {
      m.put("ejectedForMillis", (ejectedUntilNanos - now) / 1_000_000);
    }
    m.put("ejections", totalEjections);
    m.put("consecutive5xx", consecutive5xx);
    m.put("consecutiveGatewayErrors", consecutiveGateway);
    m.put("consecutiveLocalOriginFailures", consecutiveLocalOrigin);
    return m;
  }

  @Override
  public String toString() {
    return hashKey;
  }
}
