package io.inmesh.policy.control;

import io.inmesh.policy.log.Log;
import io.inmesh.policy.control.PlainHttp;
import io.inmesh.policy.snapshot.SnapshotCache;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The agent's conversation with the control plane, entirely on background threads: one thread
 * long-polls for snapshots (starting from the last-known-good cache), one registers this endpoint
 * and heart-beats. While the control plane is away the agent keeps routing on the snapshot it has,
 * retries with capped exponential backoff and jitter, and re-registers when it comes back.
 */
public final class ControlLoop {
  private static final int WAIT_SECONDS = 30;
  private static final long BACKOFF_BASE_MS = 200;
  private static final long BACKOFF_MAX_MS = 5_000;

  private final SnapshotTarget engine;
  private final LocalEndpoint endpoint;
  private final ControlClient client;
  private final SnapshotCache cache;
  private final String url;
  private final ScheduledExecutorService registry;
  private final Thread poller;
  private volatile boolean stopped;
  private volatile boolean registered;
  private volatile long heartbeatMillis = 5_000;
  private volatile long lastBeat;

  public ControlLoop(String url, SnapshotTarget engine, LocalEndpoint endpoint, ControlClient client, SnapshotCache cache) {
    this.engine = engine;
    this.endpoint = endpoint;
    this.client = client;
    this.cache = cache;
    this.url = url;
    this.registry =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "inmesh-control-registry");
              t.setDaemon(true);
              return t;
            });
    this.poller = new Thread(this::pollLoop, "inmesh-control-poll");
    this.poller.setDaemon(true);
  }

  public void start() {
    registry.execute(this::register);
    registry.scheduleWithFixedDelay(this::heartbeat, 1, 1, TimeUnit.SECONDS);
    poller.start();
  }

  /** The endpoint changed (a listener started or stopped): register it again, off this thread. */
  public void endpointChanged() {
    if (!stopped) {
      registry.execute(this::register);
    }
  }

  public boolean registered() {
    return registered;
  }

  /** Graceful JVM shutdown: withdraw this endpoint at once instead of waiting for expiry. */
  public void stop() {
    stopped = true;
    // no interrupt: the poller may be writing the cache, and an interrupted FileChannel closes
    // mid-write; it is a daemon blocked on a socket and ends with the JVM
    registry.shutdownNow();
    if (registered) {
      try {
        client.deregister(1_000);
      } catch (IOException e) {
        // the control plane will expire us
      }
    }
  }

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
    int failures = 0;
    while (!stopped) {
      try {
        PlainHttp.Response r = client.poll(engine.activeVersion(), WAIT_SECONDS);
        if (Log.clear("control-down")) {
          Log.info("control plane " + url + " is reachable again");
        }
        failures = 0;
        if (r.status() == 200) {
          SnapshotTarget.Applied result = engine.apply(r.body(), false);
          if (result.accepted()) {
            cache.write(r.body());
          } else {
            Log.once(
                Log.Level.ERROR,
                "nack-" + result.version(),
                "rejected snapshot " + result.version() + " (keeps serving " + currentVersion() + "): " + result.error());
          }
          ack(result);
        } else if (r.status() != 304) {
          Log.once(Log.Level.WARN, "poll-" + r.status(), "control plane answered " + r.status() + " to a snapshot poll: " + r.bodyText());
          failures++;
          sleep(backoff(failures));
        }
      } catch (IOException | RuntimeException e) {
        if (stopped) {
          return;
        }
        failures++;
        Log.once(
            Log.Level.WARN,
            "control-down",
            "control plane " + url + " unreachable (" + e.getMessage() + "); routing on "
                + (engine.activeVersion() == null ? "nothing yet (passthrough)" : "snapshot " + currentVersion())
                + ", retrying with backoff");
        sleep(backoff(failures));
      }
    }
  }

  private String currentVersion() {
    String v = engine.activeVersion();
    return v == null ? "none" : v;
  }

  private void ack(SnapshotTarget.Applied result) {
    registry.execute(
        () -> {
          try {
            client.ack(result.version(), result.accepted(), result.error());
          } catch (IOException ignored) {
            // the poll loop reports the control plane's health
          }
        });
  }

  private void register() {
    if (stopped) {
      return;
    }
    try {
      heartbeatMillis = client.register(endpoint) * 1000L;
      lastBeat = System.currentTimeMillis();
      if (!registered) {
        Log.debug("registered with " + url);
      }
      registered = true;
    } catch (IOException | RuntimeException e) {
      registered = false; // the heartbeat tick retries
    }
  }

  private void heartbeat() {
    if (stopped || System.currentTimeMillis() - lastBeat < heartbeatMillis) {
      return;
    }
    if (!registered) {
      register();
      return;
    }
    try {
      lastBeat = System.currentTimeMillis();
      if (!client.heartbeat()) {
        Log.info("control plane " + url + " did not know this agent (restarted?); registering again");
        register();
      }
    } catch (IOException | RuntimeException e) {
      registered = false; // register again once it answers
    }
  }

  static long backoff(int failures) {
    long cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS << Math.min(failures, 10));
    return cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
