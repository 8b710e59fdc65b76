package io.inmesh.agent;

import io.inmesh.agent.admin.AdminServer;
import io.inmesh.policy.control.AgentIdentity;
import io.inmesh.policy.control.ControlClient;
import io.inmesh.policy.control.ControlLoop;
import io.inmesh.agent.engine.MeshEngine;
import io.inmesh.policy.log.Log;
import io.inmesh.policy.snapshot.SnapshotCache;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.launcher.Settings;
import java.nio.file.Path;

/**
 * Starts the mesh inside the application's JVM. Runs at the end of the agent's premain, so it only
 * wires objects and starts daemon threads: no network I/O and no file parsing happen here; the
 * cache is read and the control plane contacted on the background threads.
 */
public final class MeshAgent {
  private static volatile MeshAgent instance;

  private final MeshEngine engine;
  private final ControlLoop control;
  private final AdminServer admin;

  private MeshAgent(Settings settings) {
    AgentIdentity identity = AgentIdentity.create(settings);
    this.engine = new MeshEngine(settings);
    this.control =
        settings.controlUrl == null
            ? null
            : new ControlLoop(
                settings.controlUrl,
                engine,
                engine.listeners(),
                new ControlClient(settings, identity),
                new SnapshotCache(Path.of(settings.cacheDir)));
    if (control != null) {
      engine.onListenersChanged(l -> control.endpointChanged());
    }
    this.admin = new AdminServer(engine, identity, control);
  }

  public static synchronized void start(Settings settings) {
    if (instance != null || !settings.enabled) {
      return;
    }
    MeshAgent agent = new MeshAgent(settings);
    Mesh.install(
        agent.engine,
        (where, t) -> {
          agent.engine.recordInternalError();
          Log.once(Log.Level.ERROR, "internal-" + where, "internal error in " + where + " (the call proceeds untouched): " + t);
        });
    Thread starter =
        new Thread(
            () -> {
              agent.admin.start();
              if (agent.control != null) {
                agent.control.start();
              }
            },
            "inmesh-start");
    starter.setDaemon(true);
    starter.start();
    Runtime.getRuntime().addShutdownHook(new Thread(agent::stop, "inmesh-shutdown"));
    instance = agent;
  }

  private void stop() {
    if (control != null) {
      control.stop();
    }
    admin.close();
    engine.responder().close();
  }
}
