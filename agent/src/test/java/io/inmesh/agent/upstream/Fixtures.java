package io.inmesh.agent.upstream;

import io.inmesh.agent.retry.FailureKind;
import io.inmesh.policy.model.ConnectionPoolSettings;
import io.inmesh.policy.model.LoadBalancerSettings;
import io.inmesh.policy.model.LoadBalancerSettings.SimpleLb;
import io.inmesh.policy.model.OutlierDetection;
import io.inmesh.policy.model.RetryBudget;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/** Shared set-up: a settable clock, a seeded random, loopback endpoints, policies. */
final class Fixtures {
  final AtomicLong clock = new AtomicLong(1_000_000_000L);
  final Upstreams upstreams = new Upstreams(clock::get, new SplittableRandom(42));

  static InetSocketAddress[] endpoints(int n) {
    InetSocketAddress[] a = new InetSocketAddress[n];
    for (int i = 0; i < n; i++) {
      a[i] = new InetSocketAddress("127.0.0." + (10 + i), 8080);
    }
    return a;
  }

  void advance(Duration d) {
    clock.addAndGet(d.toNanos());
  }

  static TrafficPolicy lb(SimpleLb simple) {
    return new TrafficPolicy(new LoadBalancerSettings(simple, null, null, null), null, null, null, List.of(), null);
  }

  static TrafficPolicy hashed(LoadBalancerSettings.HashKey key, String name, boolean maglev, long size) {
    return new TrafficPolicy(
        new LoadBalancerSettings(SimpleLb.UNSPECIFIED, new LoadBalancerSettings.ConsistentHash(key, name, null, null, maglev, size), null, null),
        null, null, null, List.of(), null);
  }

  static TrafficPolicy outlier(SimpleLb simple, OutlierDetection od) {
    return new TrafficPolicy(new LoadBalancerSettings(simple, null, null, null), null, od, null, List.of(), null);
  }

  static OutlierDetection consecutive5xx(int n, Duration base, int maxEjectionPercent, int minHealthPercent) {
    return new OutlierDetection(n, 0, 5, false, Duration.ofSeconds(10), base, maxEjectionPercent, minHealthPercent, List.of());
  }

  static TrafficPolicy budget(RetryBudget budget, ConnectionPoolSettings pool) {
    return new TrafficPolicy(null, pool, null, null, List.of(), budget);
  }

  static ConnectionPoolSettings pool(long maxConnections, long maxPending, long maxRequests, long maxRetries) {
    ConnectionPoolSettings.Tcp t = ConnectionPoolSettings.Tcp.DEFAULT;
    ConnectionPoolSettings.Http h = ConnectionPoolSettings.Http.DEFAULT;
    return new ConnectionPoolSettings(
        new ConnectionPoolSettings.Tcp(maxConnections, t.connectTimeout(), t.maxConnectionDuration(), t.idleTimeout()),
        new ConnectionPoolSettings.Http(
            maxPending, maxRequests, h.maxRequestsPerConnection(), maxRetries, h.idleTimeout(), h.h2UpgradePolicy(), h.useClientProtocol(), h.maxConcurrentStreams()));
  }

  /** One whole attempt: pick, admit, release with {@code status} (0: fails with {@code failure}). */
  static EndpointState attempt(ClusterState c, InetSocketAddress[] eps, TrafficPolicy p, int status) {
    EndpointState e = c.pick(eps, p, HashInput.NONE, List.of());
    Permit permit = c.admit(e, p.connectionPoolOrDefault()).granted();
    permit.release(AttemptResult.response(status), 1_000_000);
    return e;
  }

  static void endOn(ClusterState c, EndpointState e, AttemptResult result) {
    c.admit(e, ConnectionPoolSettings.DEFAULT).granted().release(result, 1_000_000);
  }

  static AttemptResult failed(FailureKind k) {
    return AttemptResult.failed(k);
  }

  /** Pearson's χ² statistic of {@code counts} against a uniform distribution. */
  static double chiSquare(Map<?, Integer> counts, int categories, int total) {
    double expected = (double) total / categories;
    double chi = 0;
    int seen = 0;
    for (int observed : counts.values()) {
      chi += (observed - expected) * (observed - expected) / expected;
      seen++;
    }
    chi += (categories - seen) * expected; // (0 − e)² / e for each category never picked
    return chi;
  }

  /** χ² critical value at p = 0.001 for 3 degrees of freedom (4 endpoints). */
  static final double CHI2_CRITICAL_3DF = 16.266;

}
