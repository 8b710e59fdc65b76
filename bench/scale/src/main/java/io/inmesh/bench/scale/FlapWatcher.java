package io.inmesh.bench.scale;

import io.inmesh.policy.control.ControlLoop;
import io.inmesh.policy.control.SnapshotTarget;
import io.inmesh.policy.tree.JsonTrees;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadFactory;

/**
 * The flapping run's witness: a real agent of another service (its own {@link ControlLoop}, no
 * Sidecar, so it is sent the whole mesh, as Istio sends an unscoped workload) that checks every
 * snapshot it receives, once the fleet has converged, for every live agent's endpoint. A snapshot
 * without one is what a real application would route on: a vanished endpoint.
 */
final class FlapWatcher implements SnapshotTarget {

  static final String SERVICE = "flap-watcher";

  final ControlLoop loop;
  final String id;
  final Tally tally = new Tally("watcher snapshots");
  private volatile String version;
  /** Service name → the addresses every snapshot must carry; null until the fleet converged. */
  private volatile Map<String, Set<String>> expected;

  /** Counts checked views and vanished endpoints; written by one thread at a time, read by the driver. */
  static final class Tally {
    final String what;
    private long checked;
    private long withVanished;
    private long vanished;
    private final List<String> examples = new ArrayList<>();
    private final Set<Integer> incarnations = new HashSet<>();

    Tally(String what) {
      this.what = what;
    }

    /** Checks one view: the services it carries (name → addresses) against {@code expected}. */
    synchronized void check(Map<String, Set<String>> seen, Map<String, Set<String>> expected, String label) {
      checked++;
      List<String> missing = new ArrayList<>();
      expected.forEach(
          (svc, addresses) -> {
            Set<String> have = seen.getOrDefault(svc, Set.of());
            for (String a : addresses) {
              if (!have.contains(a)) {
                missing.add(svc + "/" + a);
              }
            }
          });
      if (!missing.isEmpty()) {
        withVanished++;
        vanished += missing.size();
        if (examples.size() < 5) {
          examples.add(label + ": " + missing.size() + " missing, e.g. " + missing.subList(0, Math.min(3, missing.size())));
        }
      }
    }

    /** Which control-plane process (0 = the first, k = after restart k) a check was served by. */
    synchronized void servedBy(int incarnation) {
      incarnations.add(incarnation);
    }

    synchronized int incarnations() {
      return incarnations.size();
    }

    synchronized long checked() {
      return checked;
    }

    synchronized long withVanished() {
      return withVanished;
    }

    synchronized long vanished() {
      return vanished;
    }

    synchronized List<String> examples() {
      return List.copyOf(examples);
    }

    synchronized String line() {
      return what + ": " + checked + " checked" + (incarnations.isEmpty() ? "" : " (from " + incarnations.size() + " control-plane processes)")
          + ", " + withVanished + " missing an endpoint (" + vanished + " endpoints in all)"
          + (examples.isEmpty() ? "" : " " + examples);
    }
  }

  FlapWatcher(String address, String controlUrl, Path cacheRoot, ThreadFactory threads) {
    SimulatedAgent.Loop l = SimulatedAgent.newLoop(SERVICE, "app=" + SERVICE, address, null, controlUrl, cacheRoot, threads, this);
    this.id = l.id();
    this.loop = l.loop();
  }

  /** From now on, every snapshot received must carry these endpoints. */
  void expect(Map<String, Set<String>> endpoints) {
    expected = endpoints;
  }

  @Override
  public Applied apply(byte[] json, boolean fromCache) {
    Map<String, Object> root;
    try {
      root = JsonTrees.readObject(json);
    } catch (IOException e) {
      return new Applied(false, null, "unreadable snapshot: " + e.getMessage());
    }
    String v = root.get("version") instanceof String s ? s : null;
    if (v == null) {
      return new Applied(false, null, "no version in the snapshot");
    }
    Map<String, Set<String>> want = expected;
    if (want != null && !fromCache) {
      tally.check(addresses(root.get("services")), want, "snapshot " + v);
    }
    version = v;
    return new Applied(true, v, null);
  }

  @Override
  public String activeVersion() {
    return version;
  }

  /** {@code [{"name":…, "endpoints":[{"address":…}]}]} (the snapshot's and {@code /v1/endpoints}' shape) → name → addresses. */
  static Map<String, Set<String>> addresses(Object services) {
    Map<String, Set<String>> out = new HashMap<>();
    if (services instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Map<?, ?> s && s.get("name") instanceof String name) {
          Set<String> set = out.computeIfAbsent(name, k -> new HashSet<>());
          if (s.get("endpoints") instanceof List<?> eps) {
            for (Object e : eps) {
              if (e instanceof Map<?, ?> ep && ep.get("address") instanceof String a) {
                set.add(a);
              }
            }
          }
        }
      }
    }
    return out;
  }
}
