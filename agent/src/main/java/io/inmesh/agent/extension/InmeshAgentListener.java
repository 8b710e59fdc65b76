package io.inmesh.agent.extension;

import io.inmesh.agent.MeshAgent;
import io.inmesh.launcher.Settings;
import io.opentelemetry.javaagent.extension.AgentListener;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;

/** The OpenTelemetry agent calls this once its instrumentation is installed: start the mesh. */
public final class InmeshAgentListener implements AgentListener {
  @Override
  public void afterAgent(AutoConfiguredOpenTelemetrySdk sdk) {
    try {
      io.inmesh.agent.lifecycle.TracePropagation.hostedByOpenTelemetry(); // upstream propagates here
      MeshAgent.start(Settings.get());
    } catch (Throwable t) {
      System.err.println("[inmesh] error: the mesh failed to start; the application runs without it: " + t);
    }
  }
}
