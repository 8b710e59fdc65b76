package io.inmesh.agent.engine;

import io.inmesh.policy.compile.RouteTable;
import java.time.Instant;

/**
 * The snapshot in force: its compiled route table, the bytes it came from (for the cache and the
 * config dump) and where it came from. Swapped atomically as a whole.
 */
public record ActiveSnapshot(RouteTable table, byte[] json, Source source, Instant appliedAt) {
  public enum Source {
    CONTROL_PLANE,
    CACHE
  }
}
