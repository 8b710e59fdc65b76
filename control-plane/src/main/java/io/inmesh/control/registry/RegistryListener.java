package io.inmesh.control.registry;

import io.inmesh.policy.compile.ServiceKey;
import java.util.Set;

/** Told after the registry changed, outside the registry's lock. */
public interface RegistryListener {

  /** The endpoints of these services (what snapshots carry) changed. */
  void endpointsChanged(Set<ServiceKey> services);

  /** Something worth persisting changed (a registration, a deregistration), endpoints or not. */
  void recordsChanged();

  /**
   * An agent acked or nacked a snapshot. Not worth a save of its own: it goes to disk with the next
   * save, and a restart loses nothing that matters (agents ack again). Issue 9: with 10,000 agents,
   * the acks of a namespace-wide edit saved the whole registry in the middle of the wave of answers,
   * on the core those answers needed.
   */
  default void acked() {}

  /** A registration added or changed this record (told before {@link #recordsChanged()}). */
  default void registered(AgentRecord record) {}

  /** A graceful deregistration removed this agent (told before {@link #endpointsChanged}). */
  default void deregistered(String agent) {}
}
