package io.inmesh.bench.scale;

import io.inmesh.launcher.Settings;
import io.inmesh.policy.control.AgentIdentity;
import io.inmesh.policy.control.ControlClient;
import io.inmesh.policy.control.ControlLoop;
import io.inmesh.policy.control.LocalEndpoint;
import io.inmesh.policy.control.SnapshotTarget;
import io.inmesh.policy.snapshot.SnapshotCache;
import io.inmesh.policy.tree.JsonTrees;
import io.inmesh.policy.tree.JsonReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadFactory;

/**
 * One simulated agent: the agent's real {@link ControlLoop} and {@link ControlClient}, configured
 * through the same {@link Settings} as a JVM with {@code INMESH_*} variables, delivering snapshots
 * to a target that records when each watched marker first arrived instead of compiling routes
 * (the engine's compile cost is the agent's, not the control plane's, and would only measure this
 * simulator's single core).
 */
final class SimulatedAgent implements SnapshotTarget {

  final int service;
  final String address;
  final ControlLoop loop;
  final String id;
  private volatile String version;
  private volatile Watch watch;

  /** A string whose first arrival is timed; {@code arrivedNanos} is 0 until then. */
  static final class Watch {
    final byte[] marker;
    volatile long arrivedNanos;

    Watch(String marker) {
      this.marker = marker.getBytes(StandardCharsets.UTF_8);
    }
  }

  SimulatedAgent(int service, String address, String controlUrl, Path cacheRoot, ThreadFactory threads) {
    this.service = service;
    this.address = address;
    Loop l = newLoop(CallGraph.name(service), "app=" + CallGraph.name(service) + ",version=v1", address, null, controlUrl, cacheRoot, threads, this);
    this.id = l.id();
    this.loop = l.loop();
  }

  /** An agent's identity and its real control loop. */
  record Loop(String id, ControlLoop loop) {}

  /**
   * The agent's own {@link ControlLoop} and {@link ControlClient} for one simulated workload,
   * configured through {@link Settings} exactly as {@code INMESH_*} variables configure a JVM;
   * {@code onRegister} (may be null) runs right before each registration attempt is sent.
   */
  static Loop newLoop(String service, String labels, String address, Runnable onRegister, String controlUrl, Path cacheRoot,
      ThreadFactory threads, SnapshotTarget target) {
    Settings settings =
        Settings.resolve(
            Map.of(
                Settings.CONTROL_URL, controlUrl,
                Settings.SERVICE, service,
                Settings.NAMESPACE, CallGraph.NAMESPACE,
                Settings.LABELS, labels,
                Settings.CACHE_DIR, cacheRoot.resolve(service).toString()),
            new Properties());
    AgentIdentity identity = AgentIdentity.create(settings);
    LocalEndpoint endpoint =
        new LocalEndpoint() {
          @Override
          public String address() {
            return address;
          }

          @Override
          public List<Integer> ports() {
            if (onRegister != null) {
              onRegister.run(); // ControlClient#register reads the ports just before it sends
            }
            return List.of(8080);
          }
        };
    ControlLoop loop =
        new ControlLoop(controlUrl, target, endpoint, new ControlClient(settings, identity), new SnapshotCache(Path.of(settings.cacheDir)), threads);
    return new Loop(identity.id(), loop);
  }

  void start() {
    loop.start();
  }

  /** Starts timing {@code marker}: its first arrival in a snapshot is recorded. */
  Watch watch(String marker) {
    Watch w = new Watch(marker);
    watch = w;
    return w;
  }

  long failures() {
    Map<String, Object> s = loop.stats();
    return ((Number) s.get("pollFailures")).longValue() + ((Number) s.get("registryFailures")).longValue();
  }

  long pollFailures() {
    return ((Number) loop.stats().get("pollFailures")).longValue();
  }

  @Override
  public Applied apply(byte[] json, boolean fromCache) {
    long now = System.nanoTime();
    Watch w = watch;
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
  static String versionOf(byte[] json) {
    try {
      JsonReader p = JsonTrees.parser(json);
      if (p.nextToken() != JsonReader.Token.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonReader.Token.FIELD_NAME) {
        String name = p.currentName();
        JsonReader.Token t = p.nextToken();
        if (name.equals("version")) {
          return t == JsonReader.Token.STRING ? p.text() : null;
        }
        p.skipChildren();
      }
      return null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  static boolean contains(byte[] hay, byte[] needle) {
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
