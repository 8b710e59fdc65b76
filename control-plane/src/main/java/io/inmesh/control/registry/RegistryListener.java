package io.inmesh.control.registry;

import io.inmesh.policy.compile.ServiceKey;
import java.util.Set;

/** Told after the registry changed, outside the registry's lock. */
public interface RegistryListener {

  /** The endpoints of these services (what snapshots carry) changed. */
  void endpointsChanged(Set<ServiceKey> services);

  /** Something worth persisting changed (a registration, a deregistration), endpoints or not. */
  void recordsChanged();

  /** A registration added or changed this record (told before {@link #recordsChanged()}). */
  default void registered(AgentRecord record) {}

  /** A graceful deregistration removed this agent (told before {@link #endpointsChanged}). */
  default void deregistered(String agent) {}
}
