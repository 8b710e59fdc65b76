package io.inmesh.policy.control;

import io.inmesh.policy.log.Log;
import io.inmesh.policy.snapshot.SnapshotCache;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The agent's conversation with the control plane, entirely on two background threads: one
 * long-polls for snapshots (starting from the last-known-good cache), one registers this endpoint,
 * heart-beats and acknowledges snapshots. Whatever the control plane does (hangs, answers slowly,
 * refuses connections, answers errors or garbage, serves a snapshot that fails validation,
 * restarts), the agent keeps routing on the snapshot it has and the application's threads never
 * wait for it:
 *
 * <ul>
 *   <li>every call is bounded ({@link ControlClient}), so neither thread blocks without bound;
 *   <li>each thread backs off on failure with decorrelated jitter ({@link Backoff}); only a success
 *       resets it, never a mere answer, and a {@code Retry-After} is honoured;
 *   <li>a snapshot that is rejected is remembered by version, so the next poll waits for a newer
 *       one instead of fetching the same one again, and the rejection counts as a failure;
 *   <li>a poll that comes back with nothing new before its wait is a failure too, so a control
 *       plane that ignores {@code wait} cannot make the loop spin;
 *   <li>acknowledgements are coalesced (only the latest is sent) and the two threads are the only
 *       ones: nothing queues up while the control plane is away;
 *   <li>with a control plane that says so ({@link ControlClient#POLL_ACK_HEADER}), the ack rides
 *       on the next view poll, which follows a delivery at once: a delivery costs one request, not
 *       a poll plus an ack on a connection of its own (issue 9: those acks were half of the
 *       requests a republish brought, each a new connection).
 * </ul>
 */
public final class ControlLoop {
  private static final int WAIT_SECONDS = 30;
  private static final long BACKOFF_BASE_MS = 250;
  private static final long BACKOFF_MAX_MS = 5_000;
  /** A poll answered with nothing new sooner than this did not honour its wait. */
  private static final long EARLY_ANSWER_MS = WAIT_SECONDS * 1000L / 10;
  /** The control plane holds a view poll at least 1 s, whatever its --ttl and --heartbeat. */
  private static final long VIEW_EARLY_ANSWER_MS = 900;
  /** A {@code X-Inmesh-Repoll-Within} larger than this is read as this. */
  private static final long REPOLL_WITHIN_MAX_MS = 2_000;

  private final SnapshotTarget engine;
  private final LocalEndpoint endpoint;
  private final ControlClient client;
  private final SnapshotCache cache;
  private final String url;
  private final Thread poller;
  private final Thread registrar;
  private final Object wake = new Object();
  private final Object registration = new Object();
  private final AtomicBoolean reregister = new AtomicBoolean();
  private final AtomicReference<SnapshotTarget.Applied> pendingAck = new AtomicReference<>();
  private final ControlStats stats = new ControlStats();
  private boolean wakeRequested; // guarded by wake
  private volatile boolean stopped;
  private volatile boolean registered;
  /** Registered at least once since start: its view can be polled (a later failure lets the poll find out for itself). */
  private volatile boolean everRegistered;
  /** The last snapshot version received, accepted or not: what the next poll asks to be newer than. */
  private volatile String seenVersion;
  /** Poll thread only. */
  private String lastRejectionLogged;
  /** Polls this agent's view ({@code /v1/view}) until the control plane turns out not to have it. */
  private volatile boolean viewProtocol = true;
  /**
   * The last view poll succeeded: the control plane hears from this agent at both ends of every
   * view poll, so the registrar sends no separate heartbeat meanwhile.
   */
  private volatile boolean pollIsHeartbeat;
  /** The last view answer said the control plane records acks carried by view polls. */
  private volatile boolean pollCarriesAck;

  public ControlLoop(String url, SnapshotTarget engine, LocalEndpoint endpoint, ControlClient client, SnapshotCache cache) {
    this(url, engine, endpoint, client, cache, null);
  }

  /**
   * With the loop's two threads made by {@code threads} (the scale simulator runs thousands of
   * loops in one JVM on virtual threads); null makes named platform daemon threads.
   */
  public ControlLoop(
      String url, SnapshotTarget engine, LocalEndpoint endpoint, ControlClient client, SnapshotCache cache,
      ThreadFactory threads) {
    this.engine = engine;
    this.endpoint = endpoint;
    this.client = client;
    this.cache = cache;
    this.url = url;
    this.poller = daemon(this::pollLoop, "inmesh-control-poll", threads);
    this.registrar = daemon(this::registryLoop, "inmesh-control-registry", threads);
  }

  private static Thread daemon(Runnable r, String name, ThreadFactory threads) {
    if (threads != null) {
      return threads.newThread(r);
    }
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  public void start() {
    registrar.start();
    poller.start();
  }

  /** The endpoint changed (a listener started or stopped): register it again, off this thread. */
  public void endpointChanged() {
    if (!stopped) {
      reregister.set(true);
      wakeRegistrar();
    }
  }

  public boolean registered() {
    return registered;
  }

  /** Counters and the current state of both conversations, for the admin port. */
  public Map<String, Object> stats() {
    Map<String, Object> m = stats.snapshot();
    m.put("registered", registered);
    m.put("cacheWrites", cache.writes());
    return m;
  }

  /** Graceful JVM shutdown: withdraw this endpoint at once instead of waiting for expiry. */
  public void stop() {
    stopped = true;
    // no interrupt: the registrar may be writing the cache, and an interrupted FileChannel closes
    // mid-write; both threads are daemons whose every wait is bounded
    wakeRegistrar();
    cache.flush(); // the snapshot still waiting to be written behind
    if (registered) {
      try {
        client.deregister(1_000);
      } catch (IOException e) {
        // the control plane will expire us
      }
    }
    // a poll held on the kept connection ends now (the poller sees `stopped` and returns), and
    // the connection is not left open for the life of the process
    client.closeConnections();
  }

  // ---- snapshots --------------------------------------------------------------------------------

  private void pollLoop() {
    if (engine.activeVersion() == null) {
      byte[] cached = cache.read();
      if (cached != null) {
        SnapshotTarget.Applied r = engine.apply(cached, true);
        if (!r.accepted()) {
          Log.warn("ignored the cached snapshot " + cache.file() + ": " + r.error());
        }
      }
    }
    Backoff backoff = new Backoff(BACKOFF_BASE_MS, BACKOFF_MAX_MS);
    try {
      while (!stopped) {
        long delayMs = 0;
        try {
          delayMs = pollOnce(backoff);
        } catch (IOException | RuntimeException e) {
          if (stopped) {
            return;
          }
          delayMs = failed(backoff, stats.pollFailures, e);
        }
        if (delayMs > 0) {
          sleep(delayMs);
        }
      }
    } finally {
      client.closeConnections();
    }
  }

  /** One long-poll; returns how long to wait before the next (0: at once). */
  private long pollOnce(Backoff backoff) throws IOException {
    String asked = seenVersion != null ? seenVersion : engine.activeVersion();
    long started = System.nanoTime();
    stats.polls.increment();
    boolean view = viewProtocol;
    PlainHttp.Response r;
    if (view) {
      awaitRegistration(); // a view is served to registered agents only
      if (!everRegistered) {
        // the first registration is still on its way (a slow or starved control plane): a view
        // poll now could only be refused as "unknown agent", and would make the registrar
        // register a second time (issue 9: a third of a 3,000-agent ramp-up on a busy machine)
        stats.polls.decrement();
        return 0; // awaitRegistration bounded the wait: no spin
      }
      SnapshotTarget.Applied carried = pollCarriesAck ? pendingAck.getAndSet(null) : null;
      if (carried != null) {
        stats.acksInPolls.increment(); // sent; a poll that fails puts it back for the next one
      }
      try {
        r = client.pollView(asked, WAIT_SECONDS, carried);
        pollIsHeartbeat = true;
        pollCarriesAck = r.header(ControlClient.POLL_ACK_HEADER) != null;
        if (carried != null && !pollCarriesAck) {
          // a control plane without it now (replaced by an older one): the registrar posts it
          pendingAck.compareAndSet(null, carried);
          wakeRegistrar();
        }
      } catch (IOException e) {
        pollIsHeartbeat = false;
        if (carried != null) {
          pendingAck.compareAndSet(null, carried); // not recorded: the next poll carries it (a newer one replaces it)
        }
        if (ControlClient.isMissingEndpoint(e)) {
          viewProtocol = false;
          Log.info("control plane " + url + " has no per-workload views; polling the whole-mesh snapshot");
          return 0;
        }
        if (ControlClient.isUnknownAgent(e)) {
          reregister.set(true); // the poll is a heartbeat only for a registered agent
          wakeRegistrar();
        }
        throw e;
      }
    } else {
      r = client.poll(asked, WAIT_SECONDS);
    }
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    if (r.status() == 304) {
      // a view poll is held for ttl - heartbeat (the poll doubles as the heartbeat), at least 1 s
      if (tookMs < (view ? VIEW_EARLY_ANSWER_MS : EARLY_ANSWER_MS)) {
        throw new IOException("snapshot poll answered 304 after " + tookMs + " ms, without holding it for wait=" + WAIT_SECONDS + "s");
      }
      succeeded(backoff);
      return 0;
    }
    SnapshotTarget.Applied result = engine.apply(r.body(), false);
    if (result.version() != null) {
      seenVersion = result.version();
      pendingAck.set(result);
      if (!acksRideOnPolls()) {
        wakeRegistrar();
      } // else the next poll carries it (at once, or within X-Inmesh-Repoll-Within)
    }
    if (!result.accepted()) {
      stats.snapshotsRejected.increment();
      String rejected = String.valueOf(result.version()); // "null": no readable version at all
      if (!rejected.equals(lastRejectionLogged)) {
        // once per rejected version, remembering only the last one (a per-version "once" key
        // would grow with every version a broken control plane serves)
        lastRejectionLogged = rejected;
        Log.error("rejected snapshot " + result.version() + " (keeps serving " + currentVersion() + "): " + result.error());
      }
      throw new IOException("rejected snapshot " + result.version() + ": " + result.error());
    }
    if (asked != null && asked.equals(result.version()) && tookMs < EARLY_ANSWER_MS) {
      throw new IOException("snapshot poll answered the version it was asked to be newer than (" + asked + ") at once");
    }
    if (cache.offer(r.body(), System.nanoTime())) {
      // written behind by the registrar, whose pause looks again at when the cache is due: this
      // thread acks and polls again without touching the disk
      synchronized (wake) {
        wake.notifyAll();
      }
    }
    lastRejectionLogged = null;
    succeeded(backoff);
    return view ? repollDelay(r.header(ControlClient.REPOLL_WITHIN_HEADER)) : 0;
  }

  /**
   * A control plane still answering a large wave asks for the next poll within some milliseconds
   * rather than at once ({@link ControlClient#REPOLL_WITHIN_HEADER}): a random point in it, so that
   * the next polls (each carrying its ack) do not take the core the agents still waiting need. At
   * most {@link #REPOLL_WITHIN_MAX_MS}, whatever the header says.
   */
  private long repollDelay(String within) {
    if (within == null) {
      return 0;
    }
    long ms;
    try {
      ms = Math.min(REPOLL_WITHIN_MAX_MS, Long.parseLong(within.trim()));
    } catch (NumberFormatException e) {
      return 0;
    }
    if (ms <= 0) {
      return 0;
    }
    stats.repollsSpread.increment();
    return ThreadLocalRandom.current().nextLong(ms + 1);
  }

  /** The poller sends acks in its view polls; the registrar posts them otherwise. */
  private boolean acksRideOnPolls() {
    return viewProtocol && pollCarriesAck;
  }

  /** Waits, at most one call's timeout, for the registrar's first registration. */
  private void awaitRegistration() {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ControlClient.CALL_TIMEOUT_MS);
    synchronized (registration) {
      while (!registered && !stopped) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return;
        }
        try {
          registration.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private String currentVersion() {
    String v = engine.activeVersion();
    return v == null ? "none" : v;
  }

  // ---- registry: register, heartbeat, ack -------------------------------------------------------

  private void registryLoop() {
    Backoff backoff = new Backoff(BACKOFF_BASE_MS, BACKOFF_MAX_MS);
    long heartbeatNanos = TimeUnit.SECONDS.toNanos(5);
    long nextBeat = System.nanoTime();
    while (!stopped) {
      long delayMs;
      boolean wakeable;
      try {
        if (!registered || reregister.getAndSet(false)) {
          heartbeatNanos = register(); // a failure below leaves registered false: the next attempt registers again
          nextBeat = System.nanoTime() + heartbeatNanos;
        } else if (System.nanoTime() - nextBeat >= 0 && pollIsHeartbeat) {
          nextBeat = System.nanoTime() + heartbeatNanos; // the view poll carries the heartbeat
        } else if (System.nanoTime() - nextBeat >= 0) {
          nextBeat = System.nanoTime() + heartbeatNanos;
          stats.heartbeats.increment();
          if (!client.heartbeat()) {
            registered = false;
            Log.info("control plane " + url + " did not know this agent (restarted?); registering again");
            continue;
          }
        }
        SnapshotTarget.Applied ack = acksRideOnPolls() ? null : pendingAck.getAndSet(null);
        if (ack != null) {
          sendAck(ack);
        }
        succeeded(backoff);
        delayMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextBeat - System.nanoTime()));
        wakeable = true;
      } catch (IOException | RuntimeException e) {
        registered = false;
        delayMs = failed(backoff, stats.registryFailures, e);
        wakeable = false; // a listener change or an ack does not cut a backoff short
      }
      pauseRegistrar(delayMs, wakeable);
    }
  }

  /** Registers (an upsert) and returns the heartbeat interval the control plane asked for. */
  private long register() throws IOException {
    stats.registrations.increment();
    int heartbeatSeconds = client.register(endpoint);
    if (!registered) {
      Log.debug("registered with " + url);
    }
    registered = true;
    everRegistered = true;
    synchronized (registration) {
      registration.notifyAll();
    }
    return TimeUnit.SECONDS.toNanos(heartbeatSeconds);
  }

  private void sendAck(SnapshotTarget.Applied ack) throws IOException {
    try {
      if (!client.ack(ack.version(), ack.accepted(), ack.error())) {
        registered = false; // unknown agent: register, then report again
        pendingAck.compareAndSet(null, ack);
      }
    } catch (ErrorAnswer e) {
      if (e.status() >= 500) {
        pendingAck.compareAndSet(null, ack); // worth reporting again; a newer result replaces it
      }
      throw e;
    } catch (IOException e) {
      pendingAck.compareAndSet(null, ack);
      throw e;
    }
  }

  private void wakeRegistrar() {
    synchronized (wake) {
      wakeRequested = true;
      wake.notifyAll();
    }
  }

  /**
   * Waits {@code ms}, or until woken when {@code wakeable} (an ack to send, a listener changed), and
   * meanwhile writes the snapshot cache when its write-behind delay is up. Every notify of {@code
   * wake} (a snapshot handed to the cache among them) makes it look again.
   */
  private void pauseRegistrar(long ms, boolean wakeable) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    synchronized (wake) {
      if (!wakeable) {
        wakeRequested = false;
      }
    }
    while (true) {
      cache.writeIfDue(System.nanoTime()); // outside the lock: the poller's notify never waits for the disk
      synchronized (wake) {
        long now = System.nanoTime();
        long left = deadline - now;
        if (stopped || (wakeable && wakeRequested) || left <= 0) {
          wakeRequested = false;
          return;
        }
        long cacheDue = cache.nanosUntilDue(now);
        long wait = cacheDue >= 0 ? Math.min(left, cacheDue) : left;
        if (wait > 0) {
          try {
            wake.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        if (!wakeable) {
          wakeRequested = false;
        }
      }
    }
  }

  // ---- failures ---------------------------------------------------------------------------------

  /** Counts a failure, says so once per outage, and returns the backoff (at least Retry-After). */
  private long failed(Backoff backoff, LongAdder counter, Exception e) {
    counter.increment();
    long delay = backoff.failed();
    Duration asked = e instanceof ErrorAnswer ea ? ea.retryAfter() : null;
    if (asked != null && asked.toMillis() > delay) {
      delay = asked.toMillis();
      stats.retryAfterHonoured.increment();
    }
    stats.lastError.set(e.getMessage());
    stats.backoffMs.set(delay);
    if (Log.once(
        Log.Level.WARN,
        "control-down",
        "control plane " + url + " failing (" + e.getMessage() + "); routing on "
            + (engine.activeVersion() == null ? "nothing yet (passthrough)" : "snapshot " + currentVersion())
            + ", retrying with backoff")) {
      stats.outages.increment();
    }
    return delay;
  }

  private void succeeded(Backoff backoff) {
    int failures = backoff.failures();
    backoff.succeeded();
    if (failures > 0 && Log.clear("control-down")) {
      Log.info("control plane " + url + " is answering again");
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Counters read by the admin port; written by the two loop threads. */
  private static final class ControlStats {
    final LongAdder polls = new LongAdder();
    final LongAdder pollFailures = new LongAdder();
    final LongAdder snapshotsRejected = new LongAdder();
    final LongAdder registrations = new LongAdder();
    final LongAdder heartbeats = new LongAdder();
    final LongAdder acksInPolls = new LongAdder();
    final LongAdder repollsSpread = new LongAdder();
    final LongAdder registryFailures = new LongAdder();
    final LongAdder retryAfterHonoured = new LongAdder();
    final LongAdder outages = new LongAdder();
    final AtomicReference<String> lastError = new AtomicReference<>();
    final AtomicLong backoffMs = new AtomicLong();

    Map<String, Object> snapshot() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("polls", polls.sum()); // attempts, as are registrations and heartbeats
      m.put("pollFailures", pollFailures.sum());
      m.put("snapshotsRejected", snapshotsRejected.sum());
      m.put("registrations", registrations.sum());
      m.put("heartbeats", heartbeats.sum());
      m.put("acksInPolls", acksInPolls.sum());
      m.put("repollsSpread", repollsSpread.sum());
      m.put("registryFailures", registryFailures.sum());
      m.put("retryAfterHonoured", retryAfterHonoured.sum());
      m.put("outages", outages.sum());
      m.put("lastBackoffMs", backoffMs.get());
      m.put("lastError", lastError.get());
      return m;
    }
  }
}
