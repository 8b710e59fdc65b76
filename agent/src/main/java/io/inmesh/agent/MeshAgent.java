package io.inmesh.agent;

import io.inmesh.agent.admin.AdminServer;
import io.inmesh.policy.control.AgentIdentity;
import io.inmesh.policy.control.ControlClient;
import io.inmesh.policy.control.ControlLoop;
import io.inmesh.policy.identity.WorkloadIdentity;
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
  private final WorkloadIdentity workloadIdentity;

  private MeshAgent(Settings settings) {
    AgentIdentity identity = AgentIdentity.create(settings);
    this.workloadIdentity = new WorkloadIdentity(settings);
    this.engine = new MeshEngine(settings);
    engine.requireIdentity(workloadIdentity);
    engine.installSecurity(workloadIdentity); // mTLS: PeerAuthentication inbound, auto mTLS outbound
    this.control =
        settings.controlUrl == null
            ? null
            : new ControlLoop(
                settings.controlUrl,
                engine,
                engine.listeners(),
                new ControlClient(settings, identity, workloadIdentity.channel()),
                new SnapshotCache(Path.of(settings.cacheDir)));
    if (control != null) {
      engine.onListenersChanged(l -> control.endpointChanged());
      // a new certificate re-registers, so /v1/agents shows its expiry
      workloadIdentity.onChange(control::endpointChanged);
    }
    this.admin = new AdminServer(engine, identity, control, workloadIdentity);
  }

  /**
   * This workload's identity, for the engine's security stages: when {@code required()} is true and
   * {@code awaitReady(INMESH_STARTUP_WAIT)} returns false, calls that need mTLS answer 503 instead
   * of going out in plain text. null before the agent started (or with INMESH_ENABLED=false).
   */
  public static WorkloadIdentity workloadIdentity() {
    MeshAgent a = instance;
    return a == null ? null : a.workloadIdentity;
  }

  public static synchronized void start(Settings settings) {
    if (instance != null || !settings.enabled) {
      return;
    }
    MeshAgent agent = new MeshAgent(settings);
    io.inmesh.agent.lifecycle.TracePropagation.configureFromEnvironment(); // mesh profile only
    Mesh.install(
        agent.engine,
        (where, t) -> {
          agent.engine.recordInternalError();
          Log.once(Log.Level.ERROR, "internal-" + where, "internal error in " + where + " (inmesh falls back for this stage and the application's call goes on; logged once per kind, counted in :15000/stats internalErrors): " + t);
        });
    Thread starter =
        new Thread(
            () -> {
              agent.workloadIdentity.start(); // the CSR and the control plane: off premain's thread
              // the control loop before the admin servers: the first snapshot is what the
              // application's first meshed call waits for
              if (agent.control != null) {
                agent.control.start();
              }
              agent.admin.start();
            },
            "inmesh-start");
    starter.setDaemon(true);
    starter.start();
    Runtime.getRuntime().addShutdownHook(new Thread(agent::stop, "inmesh-shutdown"));
    instance = agent;
  }

  private void stop() {
    workloadIdentity.stop();
    if (control != null) {
      control.stop();
    }
    admin.close();
    engine.responder().close();
  }
}
