package io.inmesh.control.registry;

import io.inmesh.control.EventLog;
import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.ServiceKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The live agents, keyed by agent id. Agents keep themselves here by heartbeating; the sweeper
 * drops those that stop. Listeners run after the lock is released, because they read the registry
 * back (the snapshot) and must not deadlock against a reader that holds their own lock.
 */
public final class Registry {

  /** Endpoints in snapshot order: by service, then agent id, so the same registry hashes the same. */
  public static final Comparator<ServiceKey> SERVICE_ORDER =
      Comparator.comparing(ServiceKey::name).thenComparing(ServiceKey::namespace);

  private static final Comparator<AgentRecord> AGENT_ORDER =
      Comparator.comparing(AgentRecord::serviceKey, SERVICE_ORDER).thenComparing(AgentRecord::agent);

  /** A sweep may always expire this many agents, whatever the registry's size. */
  static final int MIN_EXPIRED_PER_SWEEP = 5;

  private final Clock clock;
  private final EventLog log;
  private volatile RegistryListener listener = NO_LISTENER;
  private final Map<String, AgentRecord> agents = new HashMap<>();
  /**
   * Endpoints by service, kept alongside the records so that a per-workload view reads the few
   * services it needs without sorting the whole registry (which grows with the fleet).
   */
  private final Map<ServiceKey, TreeMap<String, Endpoint>> byService = new HashMap<>();
  /** {@link #endpointsOf}'s lists, each dropped when its service's endpoints change. */
  private final Map<ServiceKey, List<Endpoint>> endpointLists = new HashMap<>();
  /**
   * When each agent was last heard from, on the monotonic clock: expiry must not jump when the
   * wall clock is set, and {@link #expire} detects its own pauses on it.
   */
  private final Map<String, Long> heardNanos = new HashMap<>();
  private final LongSupplier nanoTime;
  private long lastSweepNanos;
  private boolean swept;

  private static final RegistryListener NO_LISTENER =
      new RegistryListener() {
        @Override
        public void endpointsChanged(Set<ServiceKey> services) {}

        @Override
        public void recordsChanged() {}
      };

  public Registry(Clock clock, EventLog log) {
    this(clock, System::nanoTime, log);
  }

  public Registry(Clock clock, LongSupplier nanoTime, EventLog log) {
    this.clock = clock;
    this.nanoTime = nanoTime;
    this.log = log;
  }

  public void listener(RegistryListener l) {
    this.listener = l == null ? NO_LISTENER : l;
  }

  /** Upsert by agent id: an agent registers again when its listeners change or after a 404. */
  public AgentRecord register(Registration r) {
    Instant now = clock.instant();
    AgentRecord next;
    boolean endpointsChanged;
    boolean changed;
    String line;
    Set<ServiceKey> touched = new HashSet<>();
    synchronized (this) {
      AgentRecord prev = agents.get(r.agent());
      next = prev == null ? AgentRecord.registered(r, now) : prev.reregistered(r, now);
      agents.put(r.agent(), next);
      heardNanos.put(r.agent(), nanoTime.getAsLong());
      changed = prev == null || !prev.registration().equals(r);
      endpointsChanged =
          prev == null
              ? next.isEndpoint()
              : !Objects.equals(prev.isEndpoint() ? prev.endpoint() : null, next.isEndpoint() ? next.endpoint() : null)
                  || !prev.serviceKey().equals(next.serviceKey());
      line = prev == null ? "+ " + next.describe() : changed ? "~ " + next.describe() + " (re-registered)" : null;
      if (endpointsChanged) {
        if (prev != null) {
          unindex(prev);
          touched.add(prev.serviceKey());
        }
        index(next);
        touched.add(next.serviceKey());
      }
    }
    if (line != null) {
      log.info(line);
    }
    if (changed) {
      listener.registered(next);
    }
    fire(touched, changed);
    return next;
  }

  /** @return false for an agent the registry does not know (it must register again) */
  public boolean heartbeat(String agent) {
    Instant now = clock.instant();
    synchronized (this) {
      AgentRecord r = agents.get(agent);
      if (r == null) {
        return false;
      }
      agents.put(agent, r.seen(now));
      heardNanos.put(agent, nanoTime.getAsLong());
    }
    // lastSeen is not persisted: a restart gives every agent a fresh TTL anyway
    return true;
  }

  /** A graceful JVM shutdown: its endpoints leave at once instead of after a TTL. */
  public boolean deregister(String agent) {
    AgentRecord removed;
    synchronized (this) {
      removed = agents.remove(agent);
      heardNanos.remove(agent);
      if (removed != null) {
        unindex(removed);
      }
    }
    if (removed == null) {
      return false;
    }
    log.info("- " + removed.describe() + " (deregistered)");
    listener.deregistered(agent);
    fire(removed.isEndpoint() ? Set.of(removed.serviceKey()) : Set.of(), true);
    return true;
  }

  /**
   * Removes agents not heard from within {@code ttl} (monotonic time); returns how many.
   *
   * <p>A sweep that finds the previous one longer ago than {@code pauseAfter} knows this process
   * was paused (SIGSTOP, a long GC, a suspended VM): nobody could reach it meanwhile, so silence
   * during the pause says nothing about an agent. Every agent then gets a fresh TTL, as after a
   * restart: live ones heartbeat within it, dead ones expire one TTL later.
   */
  public int expire(Duration ttl, Duration pauseAfter) {
    long now = nanoTime.getAsLong();
    long cutoff = now - ttl.toNanos();
    List<AgentRecord> expired = new ArrayList<>();
    long paused;
    int capped = 0;
    Set<ServiceKey> touched = new HashSet<>();
    synchronized (this) {
      // without sweepsStart() the first sweep has nothing to compare with (start-up is not a pause)
      paused = swept ? now - lastSweepNanos : 0;
      lastSweepNanos = now;
      swept = true;
      if (paused > pauseAfter.toNanos()) {
        heardNanos.replaceAll((agent, heard) -> Math.max(heard, now));
      } else {
        paused = 0;
      }
      List<AgentRecord> silent = new ArrayList<>();
      for (AgentRecord r : agents.values()) {
        Long heard = heardNanos.get(r.agent());
        if (heard == null || heard - cutoff < 0) {
          silent.add(r);
        }
      }
      // a large part of the fleet falling silent at once is more likely a partition or an
      // overloaded control plane than that many crashes: expire the longest-silent first, at most a
      // tenth of the registry per sweep, so live agents have time to be heard again
      int limit = Math.max(MIN_EXPIRED_PER_SWEEP, agents.size() / 10);
      if (silent.size() > limit) {
        silent.sort(Comparator.comparingLong((AgentRecord r) -> heardNanos.getOrDefault(r.agent(), cutoff) - now));
        capped = silent.size() - limit;
        silent = silent.subList(0, limit);
      }
      for (AgentRecord r : silent) {
        agents.remove(r.agent());
        heardNanos.remove(r.agent());
        if (r.isEndpoint()) {
          unindex(r);
          touched.add(r.serviceKey());
        }
        expired.add(r);
      }
    }
    if (capped > 0) {
      log.info("registry: " + (capped + expired.size()) + " agents silent for " + ttl.toMillis()
          + " ms at once; expiring " + expired.size() + " now, the rest later unless they are heard from");
    }
    if (paused > 0) {
      log.info("registry: this control plane was paused for about " + (paused / 1_000_000_000L)
          + " s; every agent gets a fresh ttl of " + ttl.toMillis() + " ms to be heard from before anything expires");
    }
    if (expired.isEmpty()) {
      return 0;
    }
    expired.sort(AGENT_ORDER);
    for (AgentRecord r : expired) {
      log.info("- " + r.describe() + " (expired: not heard from for " + ttl.toMillis() + " ms)");
    }
    fire(touched, true);
    return expired.size();
  }

  /**
   * Sweeps are scheduled from now: a pause that starts before the first sweep runs (the process
   * stopped moments after starting) is then measured from here, not mistaken for start-up.
   */
  public synchronized void sweepsStart() {
    lastSweepNanos = nanoTime.getAsLong();
    swept = true;
  }

  /** {@link #expire(Duration, Duration)} with no pause detection (tests that drive the clock). */
  public int expire(Duration ttl) {
    return expire(ttl, Duration.ofDays(3650));
  }

  /** Records which snapshot an agent applied or refused; false for an unknown agent. */
  public boolean ack(String agent, String version, boolean accepted, String error) {
    Instant now = clock.instant();
    AgentRecord next;
    synchronized (this) {
      AgentRecord r = agents.get(agent);
      if (r == null) {
        return false;
      }
      next = accepted ? r.applied(version, now) : r.rejected(version, error, now);
      agents.put(agent, next);
      heardNanos.put(agent, nanoTime.getAsLong());
    }
    if (!accepted) {
      log.info(
          "NACK from agent="
              + agent
              + " ("
              + next.serviceKey()
              + ") for snapshot "
              + version
              + ": "
              + (error == null ? "(no reason given)" : error));
    }
    // no save asked for: an ack goes to disk with the next save, and a restart loses nothing that
    // matters (agents ack again). Issue 9: with 10,000 agents, the acks of a namespace-wide edit
    // saved the whole registry in the middle of the wave of answers, on the core those answers needed
    return true;
  }

  /** Agents from a previous run, each with a fresh TTL: live ones keep heart-beating, dead ones expire. */
  public void restore(List<AgentRecord> restored) {
    Instant now = clock.instant();
    synchronized (this) {
      long nanos = nanoTime.getAsLong();
      for (AgentRecord r : restored) {
        AgentRecord prev = agents.put(r.agent(), r.seen(now));
        if (prev != null) {
          unindex(prev);
        }
        heardNanos.put(r.agent(), nanos);
        index(r);
      }
    }
  }

  public synchronized AgentRecord get(String agent) {
    return agents.get(agent);
  }

  public synchronized int size() {
    return agents.size();
  }

  /** Every agent, by service then agent id. */
  public synchronized List<AgentRecord> agents() {
    List<AgentRecord> out = new ArrayList<>(agents.values());
    out.sort(AGENT_ORDER);
    return out;
  }

  /** The endpoints snapshots carry, grouped by service, in snapshot order. */
  public synchronized Map<ServiceKey, List<Endpoint>> endpoints() {
    List<ServiceKey> keys = new ArrayList<>(byService.keySet());
    keys.sort(SERVICE_ORDER);
    Map<ServiceKey, List<Endpoint>> out = new LinkedHashMap<>();
    for (ServiceKey k : keys) {
      out.put(k, endpointsOf(k));
    }
    return out;
  }

  /**
   * One service's endpoints by agent id (empty if none); what a per-workload view reads. The same
   * list instance until the service's endpoints change: the views that carry a service compare it
   * with what they sent by identity first (issue 9: a namespace-wide edit copied and compared every
   * service's endpoints once per view, with the registry's lock held, while heartbeats waited).
   */
  public synchronized List<Endpoint> endpointsOf(ServiceKey service) {
    List<Endpoint> list = endpointLists.get(service);
    if (list == null) {
      TreeMap<String, Endpoint> eps = byService.get(service);
      if (eps == null) {
        return List.of();
      }
      list = List.copyOf(eps.values());
      endpointLists.put(service, list);
    }
    return list;
  }

  /** The services that have at least one endpoint. */
  public synchronized Set<ServiceKey> services() {
    return Set.copyOf(byService.keySet());
  }

  private void index(AgentRecord r) {
    if (r.isEndpoint()) {
      endpointLists.remove(r.serviceKey());
      byService.computeIfAbsent(r.serviceKey(), k -> new TreeMap<>()).put(r.agent(), r.endpoint());
    }
  }

  private void unindex(AgentRecord r) {
    endpointLists.remove(r.serviceKey());
    TreeMap<String, Endpoint> eps = byService.get(r.serviceKey());
    if (eps != null) {
      eps.remove(r.agent());
      if (eps.isEmpty()) {
        byService.remove(r.serviceKey());
      }
    }
  }

  private void fire(Set<ServiceKey> endpointsChangedIn, boolean recordsChanged) {
    RegistryListener l = listener;
    if (!endpointsChangedIn.isEmpty()) {
      l.endpointsChanged(endpointsChangedIn);
    }
    if (recordsChanged || !endpointsChangedIn.isEmpty()) {
      l.recordsChanged();
    }
  }
}
