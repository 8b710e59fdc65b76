package io.inmesh.agent.upstream;

import io.inmesh.policy.model.ConnectionPoolSettings;
import io.inmesh.policy.model.LoadBalancerSettings;
import io.inmesh.policy.model.LoadBalancerSettings.ConsistentHash;
import io.inmesh.policy.model.OutlierDetection;
import io.inmesh.policy.model.RetryBudget;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runtime state of one cluster (Cluster.name()): its endpoints' states, the round-robin position,
 * the connection pool's counters and waiters, the retry concurrency and outlier ejections. Lives
 * in {@link Upstreams}, outside compiled snapshots, so all of it survives policy and endpoint
 * updates.
 */
public final class ClusterState {
  /** Endpoints no snapshot listed for this long (and idle) are forgotten. */
  static final long FORGET_AFTER_NANOS = 10L * 60 * 1_000_000_000L;
  /** Envoy's default max_ejection_time; a longer base ejection time wins over it. */
  static final long MAX_EJECTION_NANOS = 300L * 1_000_000_000L;

  private final String name;
  private final Upstreams upstreams;
  private final ConcurrentHashMap<InetSocketAddress, EndpointState> endpoints = new ConcurrentHashMap<>();
  private volatile EndpointSet current = new EndpointSet(new InetSocketAddress[0], new EndpointState[0]);
  private final AtomicInteger roundRobin = new AtomicInteger();
  private final RequestPool pool = new RequestPool();
  private final AtomicInteger activeRetries = new AtomicInteger();
  private final LongAdder retries = new LongAdder();
  private final LongAdder retryOverflows = new LongAdder();
  private final LongAdder ejections = new LongAdder();
  private final LongAdder ejectionsSkipped = new LongAdder();
  private final Object outlierLock = new Object();
  /** The policy of the latest pick: outlier detection at release follows it. */
  private volatile TrafficPolicy policy = TrafficPolicy.NONE;
  /** The latest end of any ejection; 0 when no endpoint can be ejected (spares pick a clock read). */
  private volatile long ejectionsEndNanos;
  volatile long lastUsedNanos;

  ClusterState(String name, Upstreams upstreams) {
    this.name = name;
    this.upstreams = upstreams;
    this.lastUsedNanos = upstreams.now();
  }

  public String name() {
    return name;
  }

  /**
   * One attempt's endpoint. Honours the policy's load balancer:
   *
   * <ul>
   *   <li>ROUND_ROBIN: each of N endpoints gets 1/N of sequential calls (±1).
   *   <li>LEAST_REQUEST, and UNSPECIFIED as Istio's default ("If not specified, LEAST_REQUEST",
   *       https://istio.io/latest/docs/reference/config/networking/destination-rule/#LoadBalancerSettings-SimpleLB),
   *       and LEAST_CONN (deprecated, Istio treats it as LEAST_REQUEST): power of two choices on
   *       active requests (two endpoints drawn at random with replacement, as Envoy does; the one
   *       with fewer wins), ties broken at random so sequential calls spread uniformly.
   *   <li>RANDOM: uniform. PASSTHROUGH: the endpoints given (the caller's addresses) by least request.
   *   <li>consistentHash: ring hash (minimumRingSize) or Maglev (tableSize) over a header, cookie,
   *       query parameter or the source IP; without a value to hash, random (as Envoy).
   *   <li>PEAK_EWMA (inmesh's opt-in, bound from the DestinationRule annotation
   *       {@code inmesh.io/load-balancer}): power of two choices on Linkerd's cost, peak-EWMA RTT ×
   *       (active + 1), new endpoints starting at 30 ms.
   * </ul>
   *
   * Ejected endpoints are skipped (unless fewer than minHealthPercent of them are healthy: then
   * Envoy's panic mode balances over all), and endpoints in {@code previous} are avoided when
   * another is available (Istio's default retry host predicate, previous hosts; not under
   * consistent hashing, where istiod leaves the predicate out). Pass an empty {@code previous}
   * when the route sets retryIgnorePreviousHosts: false.
   *
   * @return null when {@code addresses} is empty, or every endpoint is ejected and the cluster is
   *     not in panic mode: both are Envoy's 503 "no healthy upstream" (UH)
   */
  public EndpointState pick(
      InetSocketAddress[] addresses, TrafficPolicy policy, HashInput hash, Collection<InetSocketAddress> previous) {
    if (addresses == null || addresses.length == 0) {
      return null;
    }
    if (policy == null) {
      policy = TrafficPolicy.NONE;
    }
    if (this.policy != policy) {
      this.policy = policy;
    }
    EndpointState[] eps = endpointSet(addresses).states;
    int n = eps.length;
    long now = 0;
    boolean skipEjected = false;
    if (ejectionsEndNanos != 0) {
      now = upstreams.now();
      skipEjected = anyEjected(now);
      if (skipEjected) {
        int healthy = 0;
        for (EndpointState e : eps) {
          if (!e.ejectedAt(now)) {
            healthy++;
          }
        }
        OutlierDetection od = policy.outlierDetectionOrNull();
        int minHealth = od == null ? 0 : od.minHealthPercent();
        if (od == null || (long) healthy * 100 < (long) minHealth * n) {
          skipEjected = false; // panic (or outlier detection switched off): balance over every endpoint
        } else if (healthy == 0) {
          return null;
        }
      }
    }
    boolean avoidPrevious = previous != null && !previous.isEmpty();
    int eligible = n;
    if (skipEjected || avoidPrevious) {
      eligible = countEligible(eps, skipEjected, now, avoidPrevious ? previous : null);
      if (eligible == 0 && avoidPrevious) {
        avoidPrevious = false;
        eligible = countEligible(eps, skipEjected, now, null);
      }
      if (eligible == 0) {
        return null;
      }
    }
    Collection<InetSocketAddress> avoid = avoidPrevious ? previous : null;
    if (eligible == 1 && n == 1) {
      return eps[0];
    }
    LoadBalancerSettings lb = policy.loadBalancerOrDefault();
    if (lb.consistentHash() != null) {
      // istiod leaves out the previous-hosts retry predicate under consistent hashing: a retry
      // goes to the key's endpoint again.
      int eligibleAny = avoid == null ? eligible : countEligible(eps, skipEjected, now, null);
      return pickHashed(addresses, lb.consistentHash(), hash, skipEjected, now, eligibleAny);
    }
    switch (lb.simple()) {
      case ROUND_ROBIN:
        return nthEligible(eps, Math.floorMod(roundRobin.getAndIncrement(), eligible), skipEjected, now, avoid);
      case RANDOM:
        return nthEligible(eps, upstreams.random().nextInt(eligible), skipEjected, now, avoid);
      case PEAK_EWMA:
        return powerOfTwo(eps, eligible, skipEjected, now, avoid, true);
      default:
        return powerOfTwo(eps, eligible, skipEjected, now, avoid, false);
    }
  }

  private EndpointState powerOfTwo(
      EndpointState[] eps, int eligible, boolean skipEjected, long now, Collection<InetSocketAddress> avoid, boolean latency) {
    if (eligible == 1) {
      return nthEligible(eps, 0, skipEjected, now, avoid);
    }
    var random = upstreams.random();
    // LEAST_REQUEST: two draws with replacement, as Envoy's least-request balancer makes them
    // (LeastRequestLoadBalancer::unweightedHostPickNChoices, choice_count 2), so both may name the
    // same endpoint, which then wins whatever its load. With two endpoints, distinct draws would
    // always pick the less loaded one, and two callers running side by side would pin each other
    // to one endpoint each; with replacement half the picks stay random. PEAK_EWMA: two distinct
    // endpoints, as Linkerd's balancer (tower's p2c) draws them.
    int a = random.nextInt(eligible);
    int b;
    if (latency) {
      b = random.nextInt(eligible - 1);
      if (b >= a) {
        b++;
      }
    } else {
      b = random.nextInt(eligible);
      if (a == b) {
        return nthEligible(eps, a, skipEjected, now, avoid);
      }
    }
    EndpointState x = nthEligible(eps, a, skipEjected, now, avoid);
    EndpointState y = nthEligible(eps, b, skipEjected, now, avoid);
    if (latency) {
      long t = upstreams.now();
      double cx = x.rttNanos(t) * (x.active.get() + 1);
      double cy = y.rttNanos(t) * (y.active.get() + 1);
      if (cx != cy) {
        return cx < cy ? x : y;
      }
    } else {
      int ax = x.active.get();
      int ay = y.active.get();
      if (ax != ay) {
        return ax < ay ? x : y;
      }
    }
    return random.nextBoolean() ? x : y;
  }

  private EndpointState pickHashed(
      InetSocketAddress[] addresses,
      ConsistentHash policy,
      HashInput input,
      boolean skipEjected,
      long now,
      int eligible) {
    EndpointSet set = endpointSet(addresses);
    String key = hashKey(policy, input == null ? HashInput.NONE : input);
    if (key == null) {
      return nthEligible(set.states, upstreams.random().nextInt(eligible), skipEjected, now, null);
    }
    EndpointState[] eps = set.states;
    int i = set.hashTable(policy).pick(KeyHash.of(key), index -> eligible(eps[index], skipEjected, now, null));
    return i < 0 ? null : eps[i];
  }

  private static String hashKey(ConsistentHash policy, HashInput input) {
    if (policy.key() == null) {
      return null;
    }
    return switch (policy.key()) {
      case HTTP_HEADER_NAME -> input.header(policy.name());
      case HTTP_COOKIE -> input.cookie(policy.name());
      case HTTP_QUERY_PARAMETER_NAME -> input.queryParameter(policy.name());
      case USE_SOURCE_IP -> input.sourceIp();
    };
  }

  private static boolean eligible(EndpointState e, boolean skipEjected, long now, Collection<InetSocketAddress> avoid) {
    return !(skipEjected && e.ejectedAt(now)) && (avoid == null || !avoid.contains(e.address()));
  }

  private static int countEligible(EndpointState[] eps, boolean skipEjected, long now, Collection<InetSocketAddress> avoid) {
    int c = 0;
    for (EndpointState e : eps) {
      if (eligible(e, skipEjected, now, avoid)) {
        c++;
      }
    }
    return c;
  }

  private static EndpointState nthEligible(
      EndpointState[] eps, int k, boolean skipEjected, long now, Collection<InetSocketAddress> avoid) {
    if (!skipEjected && avoid == null) {
      return eps[k];
    }
    for (EndpointState e : eps) {
      if (eligible(e, skipEjected, now, avoid) && k-- == 0) {
        return e;
      }
    }
    throw new IllegalStateException("fewer eligible endpoints than counted");
  }

  /** The endpoint states for {@code addresses}: cached while the cluster is called with the same array. */
  EndpointSet endpointSet(InetSocketAddress[] addresses) {
    EndpointSet set = current;
    if (set.addresses == addresses) {
      return set;
    }
    if (Arrays.equals(set.addresses, addresses)) {
      set = set.withAddresses(addresses);
      current = set;
      return set;
    }
    return rebuild(addresses);
  }

  private synchronized EndpointSet rebuild(InetSocketAddress[] addresses) {
    long now = upstreams.now();
    for (EndpointState old : current.states) {
      old.lastListedNanos = now;
    }
    EndpointState[] states = new EndpointState[addresses.length];
    for (int i = 0; i < addresses.length; i++) {
      EndpointState s = endpoints.computeIfAbsent(addresses[i], a -> new EndpointState(a, now));
      s.lastListedNanos = now;
      states[i] = s;
    }
    // Forget endpoints no snapshot listed for a while, unless something still counts on them.
    endpoints.values().removeIf(
        e -> now - e.lastListedNanos > FORGET_AFTER_NANOS && e.active.get() == 0 && !e.ejectedAt(now));
    EndpointSet set = new EndpointSet(addresses, states);
    current = set;
    return set;
  }

  /** The state of {@code address} in this cluster, created if new (for callers that chose the address themselves). */
  public EndpointState endpoint(InetSocketAddress address) {
    return endpoints.computeIfAbsent(address, a -> new EndpointState(a, upstreams.now()));
  }

  /**
   * Admission of an HTTP/1.1 attempt against the connection pool (Envoy's circuit breakers for
   * the cluster): see {@link #admit(EndpointState, ConnectionPoolSettings, boolean)}.
   */
  public Admission admit(EndpointState endpoint, ConnectionPoolSettings pool) {
    return admit(endpoint, pool, false);
  }

  /**
   * Admission against the connection pool: concurrent requests ≤ http2MaxRequests; for HTTP/1.1
   * ({@code multiplexed} false) requests beyond maxConnections wait as pending, at most
   * http1MaxPendingRequests of them; beyond that, overflow (503 UO, never retried).
   *
   * @param multiplexed true for an HTTP/2 exchange: requests share connections, so only
   *     http2MaxRequests bounds them
   */
  public Admission admit(EndpointState endpoint, ConnectionPoolSettings pool, boolean multiplexed) {
    if (endpoint == null) {
      throw new IllegalArgumentException("no endpoint to admit (pick returned null: answer 503 UH instead)");
    }
    return this.pool.admit(this, endpoint, pool, multiplexed);
  }

  /**
   * Whether one more retry may start now. With Istio's retryBudget set, Envoy's retry budget:
   * concurrent retries ≤ max(percent × (active + pending requests), minRetryConcurrency); else the
   * connectionPool.http.maxRetries cap on concurrent retries. An admitted retry holds its place
   * until {@link RetryToken#release()}.
   *
   * @return null when the retry must not start (counted as upstream_rq_retry_overflow; Envoy then
   *     returns the last response)
   */
  public RetryToken admitRetry(TrafficPolicy policy) {
    if (policy == null) {
      policy = TrafficPolicy.NONE;
    }
    RetryBudget budget = policy.retryBudget();
    long limit;
    if (budget != null) {
      long requests = (long) pool.inFlight() + pool.waiting();
      limit = Math.max((long) Math.floor(budget.percent() / 100.0 * requests), budget.minRetryConcurrency());
    } else {
      limit = policy.connectionPoolOrDefault().http().maxRetries();
    }
    while (true) {
      int now = activeRetries.get();
      if (now >= limit) {
        retryOverflows.increment();
        return null;
      }
      if (activeRetries.compareAndSet(now, now + 1)) {
        retries.increment();
        return new RetryToken(this);
      }
    }
  }

  void retryEnded() {
    activeRetries.decrementAndGet();
  }

  /** A permit was released: feed the latency estimate and outlier detection, then free the slot. */
  void attemptEnded(EndpointState endpoint, AttemptResult result, long latencyNanos) {
    try {
      if (result != null && !result.saysNothingAboutEndpoint()) {
        TrafficPolicy p = policy;
        if (p.loadBalancerOrDefault().simple() == LoadBalancerSettings.SimpleLb.PEAK_EWMA) {
          long now = upstreams.now();
          if (result.localOrigin() || result.status() >= 500) {
            endpoint.penalize(latencyNanos, now);
          } else {
            endpoint.observeRtt(latencyNanos, now);
          }
        }
        OutlierDetection od = p.outlierDetectionOrNull();
        if (od != null && OutlierDetector.record(endpoint, result, od)) {
          eject(endpoint, od);
        }
      }
    } finally {
      pool.release();
    }
  }

  /** Ejects {@code endpoint} if maxEjectionPercent allows (Envoy: always at least one host). */
  void eject(EndpointState endpoint, OutlierDetection od) {
    synchronized (outlierLock) {
      long now = upstreams.now();
      if (endpoint.ejectedAt(now)) {
        return;
      }
      EndpointState[] eps = current.states;
      int n = Math.max(1, eps.length);
      int ejectedNow = 0;
      for (EndpointState e : eps) {
        if (e.ejectedAt(now)) {
          ejectedNow++;
        }
      }
      if (ejectedNow > 0 && (long) (ejectedNow + 1) * 100 > (long) od.maxEjectionPercent() * n) {
        ejectionsSkipped.increment();
        return;
      }
      long base = Math.max(1, od.baseEjectionTime().toNanos());
      long interval = Math.max(1, od.interval().toNanos());
      synchronized (endpoint) {
        // The multiplier decays by one per interval the endpoint stayed healthy since it returned.
        if (endpoint.ejectionMultiplier > 0 && endpoint.ejectedUntilNanos != 0) {
          long healthyFor = now - endpoint.ejectedUntilNanos;
          if (healthyFor > 0) {
            endpoint.ejectionMultiplier = (int) Math.max(0, endpoint.ejectionMultiplier - healthyFor / interval);
          }
        }
        endpoint.ejectionMultiplier++;
        endpoint.totalEjections++;
        long cap = Math.max(base, MAX_EJECTION_NANOS);
        long time = base > cap / endpoint.ejectionMultiplier ? cap : Math.min(cap, base * endpoint.ejectionMultiplier);
        endpoint.ejectedUntilNanos = now + time;
        endpoint.ejected = true;
        endpoint.consecutive5xx = 0;
        endpoint.consecutiveGateway = 0;
        endpoint.consecutiveLocalOrigin = 0;
        long end = now + time;
        if (ejectionsEndNanos == 0 || end - ejectionsEndNanos > 0) {
          ejectionsEndNanos = end;
        }
      }
      ejections.increment();
    }
  }

  private boolean anyEjected(long now) {
    long end = ejectionsEndNanos;
    if (end == 0) {
      return false;
    }
    if (now - end >= 0) {
      synchronized (outlierLock) {
        if (ejectionsEndNanos == end) {
          ejectionsEndNanos = 0; // every ejection has ended
        }
      }
      return false;
    }
    return true;
  }

  /** Concurrent attempts holding a pool slot. */
  public int activeRequests() {
    return pool.inFlight();
  }

  /** Attempts waiting for a pool slot. */
  public int pendingRequests() {
    return pool.waiting();
  }

  public int activeRetries() {
    return activeRetries.get();
  }

  public long overflows() {
    return pool.overflows.sum();
  }

  public long retryOverflows() {
    return retryOverflows.sum();
  }

  public long ejections() {
    return ejections.sum();
  }

  /** What a pick actually does for {@code simple}. */
  private static String balancerName(LoadBalancerSettings.SimpleLb simple) {
    return switch (simple) {
      case UNSPECIFIED, LEAST_CONN, LEAST_REQUEST, PASSTHROUGH -> "LEAST_REQUEST";
      default -> simple.name();
    };
  }

  boolean idleSince(long cutoff) {
    return lastUsedNanos - cutoff < 0 && pool.inFlight() == 0 && pool.waiting() == 0 && activeRetries.get() == 0;
  }

  Map<String, Object> describe() {
    long now = upstreams.now();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    LoadBalancerSettings lb = policy.loadBalancerOrDefault();
    m.put("loadBalancer", lb.consistentHash() != null ? (lb.consistentHash().maglev() ? "MAGLEV" : "RING_HASH") : balancerName(lb.simple()));
    m.put("activeRequests", pool.inFlight());
    m.put("pendingRequests", pool.waiting());
    m.put("activeRetries", activeRetries.get());
    m.put("upstream_rq_pending_total", pool.pendingTotal.sum());
    m.put("upstream_rq_pending_cancelled", pool.pendingCancelled.sum());
    m.put("upstream_rq_overflow", pool.overflows.sum());
    m.put("upstream_rq_retry", retries.sum());
    m.put("upstream_rq_retry_overflow", retryOverflows.sum());
    m.put("outlier_detection_ejections_total", ejections.sum());
    m.put("outlier_detection_ejections_overflow", ejectionsSkipped.sum());
    List<Map<String, Object>> eps = new ArrayList<>();
    for (EndpointState e : endpoints.values()) {
      eps.add(e.describe(now));
    }
    m.put("endpoints", eps);
    return m;
  }
}
