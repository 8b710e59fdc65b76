package io.inmesh.agent.upstream;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Runtime state of every cluster and endpoint this workload called. Outlives compiled snapshots:
 * keyed by cluster name (Cluster.name()) and endpoint address, so active counts, latency
 * estimates, ejections, pool counters, retry budgets and balancer positions survive policy and
 * endpoint updates. Clusters unused for {@link #FORGET_AFTER_NANOS} with nothing in flight are
 * dropped when new clusters appear, so memory stays bounded by the clusters in use.
 */
public final class Upstreams {
  static final long FORGET_AFTER_NANOS = 10L * 60 * 1_000_000_000L;
  /** How stale a cluster's last-use time may be: negligible against {@link #FORGET_AFTER_NANOS}. */
  static final long TOUCH_EVERY_NANOS = 1_000_000_000L;
  /** Below this many clusters nothing is swept: keeping a few idle clusters costs nothing. */
  private static final int SWEEP_ABOVE = 64;

  private final LongSupplier nanoClock;
  private final RandomGenerator random;
  private final ConcurrentHashMap<String, ClusterState> clusters = new ConcurrentHashMap<>();

  /**
   * @param nanoClock System::nanoTime in production; a settable clock in tests
   * @param random a seeded generator in tests; null: ThreadLocalRandom (its methods use the calling
   *     thread's generator, so one instance serves every thread)
   */
  public Upstreams(LongSupplier nanoClock, RandomGenerator random) {
    this.nanoClock = nanoClock == null ? System::nanoTime : nanoClock;
    this.random = random == null ? ThreadLocalRandom.current() : random;
  }

  public ClusterState cluster(String clusterName) {
    ClusterState c = clusters.get(clusterName);
    if (c == null) {
      c = clusters.computeIfAbsent(clusterName, n -> new ClusterState(n, this));
      if (clusters.size() > SWEEP_ABOVE) {
        sweep(c);
      }
    }
    long now = now();
    if (now - c.lastUsedNanos >= TOUCH_EVERY_NANOS) {
      // a volatile write per call (a fence, and a cache line every calling thread shares) only
      // to say "still in use" to a sweep that counts in minutes: at most once a second (issue 13)
      c.lastUsedNanos = now;
    }
    return c;
  }

  private void sweep(ClusterState keep) {
    long cutoff = now() - FORGET_AFTER_NANOS;
    clusters.values().removeIf(c -> c != keep && c.idleSince(cutoff));
  }

  long now() {
    return nanoClock.getAsLong();
  }

  RandomGenerator random() {
    return random;
  }

  /** For /config_dump and /stats: per cluster (sorted by name) and endpoint. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    List<Map<String, Object>> list = new ArrayList<>();
    for (ClusterState c : new TreeMap<>(clusters).values()) {
      list.add(c.describe());
    }
    m.put("clusters", list);
    return m;
  }
}
