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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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

  private final Clock clock;
  private final EventLog log;
  private volatile RegistryListener listener = NO_LISTENER;
  private final Map<String, AgentRecord> agents = new HashMap<>();

  private static final RegistryListener NO_LISTENER =
      new RegistryListener() {
        @Override
        public void endpointsChanged() {}

        @Override
        public void recordsChanged() {}
      };

  public Registry(Clock clock, EventLog log) {
    this.clock = clock;
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
    synchronized (this) {
      AgentRecord prev = agents.get(r.agent());
      next = prev == null ? AgentRecord.registered(r, now) : prev.reregistered(r, now);
      agents.put(r.agent(), next);
      changed = prev == null || !prev.registration().equals(r);
      endpointsChanged =
          prev == null
              ? next.isEndpoint()
              : !Objects.equals(prev.isEndpoint() ? prev.endpoint() : null, next.isEndpoint() ? next.endpoint() : null)
                  || !prev.serviceKey().equals(next.serviceKey());
      line = prev == null ? "+ " + next.describe() : changed ? "~ " + next.describe() + " (re-registered)" : null;
    }
    if (line != null) {
      log.info(line);
    }
    fire(endpointsChanged, changed);
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
    }
    // lastSeen is not persisted: a restart gives every agent a fresh TTL anyway
    return true;
  }

  /** A graceful JVM shutdown: its endpoints leave at once instead of after a TTL. */
  public boolean deregister(String agent) {
    AgentRecord removed;
    synchronized (this) {
      removed = agents.remove(agent);
    }
    if (removed == null) {
      return false;
    }
    log.info("- " + removed.describe() + " (deregistered)");
    fire(removed.isEndpoint(), true);
    return true;
  }

  /** Removes agents not heard from within {@code ttl}; returns how many. */
  public int expire(Duration ttl) {
    Instant cutoff = clock.instant().minus(ttl);
    List<AgentRecord> expired = new ArrayList<>();
    synchronized (this) {
      Iterator<AgentRecord> it = agents.values().iterator();
      while (it.hasNext()) {
        AgentRecord r = it.next();
        if (r.lastSeen().isBefore(cutoff)) {
          it.remove();
          expired.add(r);
        }
      }
    }
    if (expired.isEmpty()) {
      return 0;
    }
    expired.sort(AGENT_ORDER);
    for (AgentRecord r : expired) {
      log.info("- " + r.describe() + " (expired: not heard from for " + ttl.toMillis() + " ms)");
    }
    fire(expired.stream().anyMatch(AgentRecord::isEndpoint), true);
    return expired.size();
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
    fire(false, true);
    return true;
  }

  /** Agents from a previous run, each with a fresh TTL: live ones keep heart-beating, dead ones expire. */
  public void restore(List<AgentRecord> restored) {
    Instant now = clock.instant();
    synchronized (this) {
      for (AgentRecord r : restored) {
        agents.put(r.agent(), r.seen(now));
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
  public Map<ServiceKey, List<Endpoint>> endpoints() {
    Map<ServiceKey, List<Endpoint>> out = new LinkedHashMap<>();
    for (AgentRecord r : agents()) {
      if (r.isEndpoint()) {
        out.computeIfAbsent(r.serviceKey(), k -> new ArrayList<>()).add(r.endpoint());
      }
    }
    out.replaceAll((k, v) -> List.copyOf(v));
    return out;
  }

  private void fire(boolean endpointsChanged, boolean recordsChanged) {
    RegistryListener l = listener;
    if (endpointsChanged) {
      l.endpointsChanged();
    }
    if (recordsChanged || endpointsChanged) {
      l.recordsChanged();
    }
  }
}
