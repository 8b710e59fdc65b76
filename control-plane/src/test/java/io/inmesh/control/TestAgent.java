package io.inmesh.control;

import io.inmesh.launcher.Settings;
import io.inmesh.policy.control.AgentIdentity;
import io.inmesh.policy.control.ControlClient;
import io.inmesh.policy.control.ControlLoop;
import io.inmesh.policy.control.LocalEndpoint;
import io.inmesh.policy.control.SnapshotTarget;
import io.inmesh.policy.snapshot.SnapshotCache;
import io.inmesh.policy.tree.JsonTrees;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * An agent's real control loop ({@link ControlLoop}, {@link ControlClient}) with a target that
 * keeps the last snapshot it was given instead of compiling it: what the control plane served, and
 * when, is what these tests look at.
 */
final class TestAgent implements SnapshotTarget, AutoCloseable {

  final String id;
  final String service;
  final String address;
  final ControlLoop loop;
  private volatile String version;
  private volatile Map<String, Object> snapshot;
  private volatile String json = "";

  TestAgent(String controlUrl, String service, String address, Path cacheRoot) {
    this.service = service;
    this.address = address;
    Settings s =
        Settings.resolve(
            Map.of(
                Settings.CONTROL_URL, controlUrl,
                Settings.SERVICE, service,
                Settings.LABELS, "app=" + service,
                Settings.CACHE_DIR, cacheRoot.resolve(service + "-" + address).toString()),
            new Properties());
    AgentIdentity identity = AgentIdentity.create(s);
    this.id = identity.id();
    LocalEndpoint endpoint =
        new LocalEndpoint() {
          @Override
          public String address() {
            return address;
          }

          @Override
          public List<Integer> ports() {
            return List.of(8080);
          }
        };
    this.loop = new ControlLoop(controlUrl, this, endpoint, new ControlClient(s, identity), new SnapshotCache(Path.of(s.cacheDir)));
  }

  TestAgent start() {
    loop.start();
    return this;
  }

  @Override
  public Applied apply(byte[] json, boolean fromCache) {
    try {
      Map<String, Object> tree = JsonTrees.readObject(json);
      Object v = tree.get("version");
      if (!(v instanceof String s)) {
        return new Applied(false, null, "no version");
      }
      snapshot = tree;
      this.json = new String(json, java.nio.charset.StandardCharsets.UTF_8);
      version = s;
      return new Applied(true, s, null);
    } catch (java.io.IOException e) {
      return new Applied(false, null, e.toString());
    }
  }

  @Override
  public String activeVersion() {
    return version;
  }

  Map<String, Object> snapshot() {
    return snapshot;
  }

  /** The last snapshot as served. */
  String json() {
    return json;
  }

  @Override
  public void close() {
    loop.stop();
  }
}
