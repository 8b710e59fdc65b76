package io.inmesh.control.snapshot;

/** One published snapshot: its identity and the bytes every agent is served. */
public record Snapshot(String version, long generation, byte[] body, int endpoints) {}
