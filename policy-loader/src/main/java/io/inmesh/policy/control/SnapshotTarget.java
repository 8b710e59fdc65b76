package io.inmesh.policy.control;

/** Where the control loop delivers snapshots: the agent's engine, which validates and swaps them. */
public interface SnapshotTarget {

  /** The outcome of applying a snapshot, reported to the control plane (ACK/NACK). */
  record Applied(boolean accepted, String version, String error) {}

  /** Validates, compiles and swaps in a snapshot; anything wrong refuses all of it. */
  Applied apply(byte[] json, boolean fromCache);

  /** The version in force, or null before the first snapshot. */
  String activeVersion();
}
