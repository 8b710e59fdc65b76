package io.inmesh.control.registry;

/** Told after the registry changed, outside the registry's lock. */
public interface RegistryListener {

  /** The set of endpoints (what snapshots carry) may have changed. */
  void endpointsChanged();

  /** Something worth persisting changed (a registration, an ack), endpoints or not. */
  void recordsChanged();
}
