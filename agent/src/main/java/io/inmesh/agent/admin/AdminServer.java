package io.inmesh.agent.admin;

import io.inmesh.policy.control.AgentIdentity;
import io.inmesh.policy.control.ControlLoop;
import io.inmesh.agent.engine.ActiveSnapshot;
import io.inmesh.agent.engine.MeshEngine;
import io.inmesh.policy.log.Log;
import io.inmesh.agent.net.PlainHttpServer;
import io.inmesh.launcher.Settings;
import io.inmesh.launcher.Versions;
import io.inmesh.policy.tree.JsonTrees;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The agent's own ports on {@code INMESH_ADMIN_ADDRESS}, as Istio's sidecar has them: 15000 (admin:
 * {@code /config_dump}, {@code /stats}) and 15020 ({@code /healthz/ready}, which the seed's
 * Dockerfile HEALTHCHECK calls). A port that cannot be bound is reported once; the application keeps
 * running.
 */
public final class AdminServer {
  private final MeshEngine engine;
  private final AgentIdentity identity;
  private final ControlLoop control;
  private final io.inmesh.policy.identity.WorkloadIdentity workloadIdentity;
  private PlainHttpServer admin;
  private PlainHttpServer health;

  public AdminServer(MeshEngine engine, AgentIdentity identity, ControlLoop control) {
    this(engine, identity, control, null);
  }

  public AdminServer(
      MeshEngine engine, AgentIdentity identity, ControlLoop control, io.inmesh.policy.identity.WorkloadIdentity workloadIdentity) {
    this.engine = engine;
    this.identity = identity;
    this.control = control;
    this.workloadIdentity = workloadIdentity;
  }

  public void start() {
    String host = engine.settings().adminAddress;
    admin = bind(host, Settings.ADMIN_PORT, "inmesh-admin", this::admin);
    health = bind(host, Settings.HEALTH_PORT, "inmesh-health", this::health);
  }

  private static PlainHttpServer bind(String host, int port, String name, PlainHttpServer.Handler h) {
    try {
      return PlainHttpServer.start(new InetSocketAddress(host, port), name, 4, h);
    } catch (IOException | RuntimeException e) {
      Log.warn(
          "cannot listen on " + host + ":" + port + " (" + e.getMessage() + "); " + name
              + " is unavailable, the application is not affected. Set INMESH_ADMIN_ADDRESS to an address of this workload's own.");
      return null;
    }
  }

  private PlainHttpServer.Response health(PlainHttpServer.Request r) {
    if (r.route().equals("/healthz/ready")) {
      if (engine.settings().controlUrl == null) {
        return PlainHttpServer.Response.text(200, "ready (no control plane configured: passthrough)\n");
      }
      ActiveSnapshot a = engine.active();
      if (a != null) {
        return PlainHttpServer.Response.text(200, "ready: snapshot " + a.table().version() + "\n");
      }
      return PlainHttpServer.Response.text(503, "not ready: waiting for the first snapshot from " + engine.settings().controlUrl + "\n");
    }
    return PlainHttpServer.Response.text(404, "try /healthz/ready\n");
  }

  private PlainHttpServer.Response admin(PlainHttpServer.Request r) {
    switch (r.route()) {
      case "/config_dump":
        return PlainHttpServer.Response.json(200, JsonTrees.writePretty(configDump()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      case "/stats":
        return PlainHttpServer.Response.json(200, JsonTrees.write(stats()));
      case "/":
        return PlainHttpServer.Response.text(200, "inmesh admin\n  /config_dump  the snapshot in force, compiled routes, endpoint\n  /stats        counters\n");
      default:
        return PlainHttpServer.Response.text(404, "unknown admin path; try /config_dump or /stats\n");
    }
  }

  /** Everything needed to answer "why did this call go there?". */
  public Map<String, Object> configDump() {
    Settings s = engine.settings();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("inmesh", Versions.INMESH);
    m.put("opentelemetryAgent", Versions.OTEL_AGENT);
    Map<String, Object> w = new LinkedHashMap<>();
    w.put("agent", identity.id());
    w.put("service", s.service);
    w.put("namespace", s.namespace);
    w.put("labels", s.labels);
    w.put("serviceAccount", s.serviceAccount);
    w.put("endpoint", engine.listeners().address() == null ? null : engine.listeners().address() + ":" + engine.listeners().ports());
    m.put("workload", w);
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("url", s.controlUrl);
    if (control != null) {
      c.putAll(control.stats());
    } else {
      c.put("registered", false);
    }
    m.put("controlPlane", c);
    // the certificate chain and trusted roots, never the key
    m.put("identity", workloadIdentity == null ? null : workloadIdentity.describe());
    ActiveSnapshot a = engine.active();
    if (a == null) {
      m.put("snapshot", null);
    } else {
      Map<String, Object> snap = new LinkedHashMap<>();
      snap.put("version", a.table().version());
      snap.put("generation", a.table().generation());
      snap.put("source", a.source() == ActiveSnapshot.Source.CACHE ? "cache" : "control-plane");
      snap.put("appliedAt", a.appliedAt().toString());
      m.put("snapshot", snap);
      m.put("routes", a.table().describe());
      try {
        Map<String, Object> raw = JsonTrees.readObject(a.json());
        m.put("resources", raw.get("resources"));
        m.put("services", raw.get("services"));
      } catch (IOException e) {
        m.put("resources", "unreadable: " + e.getMessage());
      }
    }
    m.put("stats", engine.stats());
    return m;
  }

  /**
   * The engine's counters, the control-plane conversation's, and this JVM's threads and heap: what
   * an operator (and the fault suite) needs to see that inmesh's resources stay flat.
   */
  private Map<String, Object> stats() {
    Map<String, Object> m = new LinkedHashMap<>(engine.stats());
    if (control != null) {
      m.put("controlPlane", control.stats());
    }
    Map<String, Object> jvm = new LinkedHashMap<>();
    int inmeshThreads = 0;
    int requestWorkers = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("inmesh-")) {
        inmeshThreads++;
        if (isRequestWorker(t.getName())) {
          requestWorkers++;
        }
      }
    }
    jvm.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
    jvm.put("inmeshThreads", inmeshThreads);
    // the admin, health and local-answer servers' pooled workers (named <server>-<n>): they come and
    // go with requests (idle ones end after 30 s), so they are counted apart from the fixed ones
    jvm.put("inmeshRequestWorkers", requestWorkers);
    jvm.put("heapUsedBytes", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    m.put("jvm", jvm);
    return m;
  }

  /**
   * "inmesh-admin-N", "inmesh-health-N" or "inmesh-responder-N": compared by hand, not with a
   * regular expression compiled in this class's initialiser (issue 13: the regex engine's classes
   * were loaded at start-up of every JVM only for this).
   */
  static boolean isRequestWorker(String name) {
    for (String server : new String[] {"inmesh-admin-", "inmesh-health-", "inmesh-responder-"}) {
      if (name.startsWith(server) && name.length() > server.length()) {
        for (int i = server.length(); i < name.length(); i++) {
          if (name.charAt(i) < '0' || name.charAt(i) > '9') {
            return false;
          }
        }
        return true;
      }
    }
    return false;
  }

  public void close() {
    if (admin != null) {
      admin.close();
    }
    if (health != null) {
      health.close();
    }
  }
}
