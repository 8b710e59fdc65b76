package io.inmesh.bench.scale;

import io.inmesh.launcher.Settings;
import io.inmesh.policy.control.AgentIdentity;
import io.inmesh.policy.control.ControlClient;
import io.inmesh.policy.control.ControlLoop;
import io.inmesh.policy.control.LocalEndpoint;
import io.inmesh.policy.control.SnapshotTarget;
import io.inmesh.policy.snapshot.SnapshotCache;
import io.inmesh.policy.tree.JsonTrees;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadFactory;

/**
 * A simulated agent for the flapping run: like {@link SimulatedAgent} (the agent's real
 * {@link ControlLoop} and {@link ControlClient}), and it also timestamps, on the agent's own
 * registry thread, the start of every registration attempt ({@link ControlClient#register} reads
 * the endpoint just before it sends), so that when an agent came back is the moment it sent the
 * request that got through, not when a busy control plane got round to answering it.
 */
final class FlapAgent implements SnapshotTarget {

  final int service;
  final String address;
  final ControlLoop loop;
  final String id;
  private final List<Long> registerAttempts = new ArrayList<>(); // guarded by itself
  /** When the run's sampler saw this agent's poll counter move (a poll started at most one sample earlier). */
  private final List<Long> pollStartsSeen = new ArrayList<>(); // guarded by itself
  private long pollsSeen; // sampler thread only
  private volatile String version;
  private volatile SimulatedAgent.Watch watch;

  FlapAgent(int service, String address, String controlUrl, Path cacheRoot, ThreadFactory threads) {
    this.service = service;
    this.address = address;
    Settings settings =
        Settings.resolve(
            Map.of(
                Settings.CONTROL_URL, controlUrl,
                Settings.SERVICE, CallGraph.name(service),
                Settings.NAMESPACE, CallGraph.NAMESPACE,
                Settings.LABELS, "app=" + CallGraph.name(service) + ",version=v1",
                Settings.CACHE_DIR, cacheRoot.resolve(CallGraph.name(service)).toString()),
            new Properties());
    AgentIdentity identity = AgentIdentity.create(settings);
    this.id = identity.id();
    LocalEndpoint endpoint =
        new LocalEndpoint() {
          @Override
          public String address() {
            return address;
          }

          @Override
          public List<Integer> ports() {
            long now = System.nanoTime(); // read once per registration attempt, right before it is sent
            synchronized (registerAttempts) {
              registerAttempts.add(now);
            }
            return List.of(8080);
          }
        };
    this.loop =
        new ControlLoop(
            controlUrl, this, endpoint, new ControlClient(settings, identity), new SnapshotCache(Path.of(settings.cacheDir)),
            threads);
  }

  void start() {
    loop.start();
  }

  /** Times the first arrival of a snapshot carrying {@code marker}. */
  SimulatedAgent.Watch watch(String marker) {
    SimulatedAgent.Watch w = new SimulatedAgent.Watch(marker);
    watch = w;
    return w;
  }

  /** The last registration attempt started in [from, to], or 0. */
  long lastRegisterAttempt(long fromNanos, long toNanos) {
    synchronized (registerAttempts) {
      return last(registerAttempts, fromNanos, toNanos);
    }
  }

  /** Called by the run's sampler every few milliseconds: notes when a new poll attempt started. */
  void samplePolls(long nowNanos) {
    long polls = ((Number) loop.stats().get("polls")).longValue();
    if (polls != pollsSeen) {
      pollsSeen = polls;
      synchronized (pollStartsSeen) {
        pollStartsSeen.add(nowNanos);
      }
    }
  }

  /** When the sampler last saw a poll start in [from, to], or 0. */
  long lastPollSeen(long fromNanos, long toNanos) {
    synchronized (pollStartsSeen) {
      return last(pollStartsSeen, fromNanos, toNanos);
    }
  }

  private static long last(List<Long> times, long fromNanos, long toNanos) {
    for (int i = times.size() - 1; i >= 0; i--) {
      long t = times.get(i);
      if (t - toNanos <= 0) {
        return t - fromNanos >= 0 ? t : 0;
      }
    }
    return 0;
  }

  long registrations() {
    return ((Number) loop.stats().get("registrations")).longValue();
  }

  long failures() {
    Map<String, Object> s = loop.stats();
    return ((Number) s.get("pollFailures")).longValue() + ((Number) s.get("registryFailures")).longValue();
  }

  @Override
  public Applied apply(byte[] json, boolean fromCache) {
    long now = System.nanoTime();
    SimulatedAgent.Watch w = watch;
    if (w != null && w.arrivedNanos == 0 && !fromCache && contains(json, w.marker)) {
      w.arrivedNanos = now;
    }
    String v = versionOf(json);
    if (v == null) {
      return new Applied(false, null, "no version in the snapshot");
    }
    version = v;
    return new Applied(true, v, null);
  }

  @Override
  public String activeVersion() {
    return version;
  }

  /** The top-level "version", which the control plane writes first. */
  private static String versionOf(byte[] json) {
    try (JsonParser p = JsonTrees.parser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if (name.equals("version")) {
          return t == JsonToken.VALUE_STRING ? p.getText() : null;
        }
        p.skipChildren();
      }
      return null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
