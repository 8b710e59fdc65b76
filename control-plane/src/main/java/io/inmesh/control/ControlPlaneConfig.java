package io.inmesh.control;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a control plane needs to start, already validated.
 *
 * @param listenPort 0 picks a free port (tests); the banner prints the real one
 * @param warmup how long snapshot polls that carry a version are held after a start that restored
 *     no registry, so that running agents re-register before anyone is served a registry that
 *     lacks them; the command line derives it as heartbeat + 2s
 */
public record ControlPlaneConfig(
    String listenHost,
    int listenPort,
    Path policyDir,
    Path dataDir,
    String namespace,
    Duration heartbeat,
    Duration ttl,
    Duration warmup,
    int capacity) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 15010;
  public static final String DEFAULT_NAMESPACE = "default";
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(15);
  /** Beyond one heartbeat, the slack an agent needs to notice the restart and register again. */
  public static final Duration WARMUP_SLACK = Duration.ofSeconds(2);
  /**
   * Calls in progress at once, held polls included. Each is an open connection (a file), and this
   * machine allows 20,000 open files per process: the default leaves room for the rest.
   */
  public static final int DEFAULT_CAPACITY = 16_000;

  public ControlPlaneConfig(
      String listenHost, int listenPort, Path policyDir, Path dataDir, String namespace, Duration heartbeat,
      Duration ttl, Duration warmup) {
    this(listenHost, listenPort, policyDir, dataDir, namespace, heartbeat, ttl, warmup, DEFAULT_CAPACITY);
  }

  public ControlPlaneConfig {
    Objects.requireNonNull(listenHost, "listenHost");
    Objects.requireNonNull(policyDir, "policyDir");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(heartbeat, "heartbeat");
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(warmup, "warmup");
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
  }

  /** The data dir used when none is given: one per listen address, so two instances never share it. */
  public static Path defaultDataDir(String host, int port) {
    return Path.of(System.getProperty("java.io.tmpdir"), "inmesh-control-" + host + "_" + port);
  }

  public static Duration defaultWarmup(Duration heartbeat) {
    return heartbeat.plus(WARMUP_SLACK);
  }

  public ControlPlaneConfig withWarmup(Duration newWarmup) {
    return new ControlPlaneConfig(listenHost, listenPort, policyDir, dataDir, namespace, heartbeat, ttl, newWarmup, capacity);
  }

  /**
   * Polls held at once: capacity less what is kept for registrations, heartbeats and acks (a
   * tenth, and at least half of a small capacity, so that shed agents can still heartbeat).
   */
  public int heldPollLimit() {
    return Math.max(1, capacity - Math.max(capacity / 10, Math.min(capacity / 2, 16)));
  }

  /**
   * How long a view poll (which is also the agent's heartbeat) is held: short enough that the
   * agent is heard from again within the TTL.
   */
  public Duration viewHold() {
    Duration d = ttl.minus(heartbeat);
    return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
  }
}
