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
    Duration warmup) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 15010;
  public static final String DEFAULT_NAMESPACE = "default";
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(15);
  /** Beyond one heartbeat, the slack an agent needs to notice the restart and register again. */
  public static final Duration WARMUP_SLACK = Duration.ofSeconds(2);

  public ControlPlaneConfig {
    Objects.requireNonNull(listenHost, "listenHost");
    Objects.requireNonNull(policyDir, "policyDir");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(heartbeat, "heartbeat");
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(warmup, "warmup");
  }

  /** The data dir used when none is given: one per listen address, so two instances never share it. */
  public static Path defaultDataDir(String host, int port) {
    return Path.of(System.getProperty("java.io.tmpdir"), "inmesh-control-" + host + "_" + port);
  }

  public static Duration defaultWarmup(Duration heartbeat) {
    return heartbeat.plus(WARMUP_SLACK);
  }

  public ControlPlaneConfig withWarmup(Duration newWarmup) {
    return new ControlPlaneConfig(listenHost, listenPort, policyDir, dataDir, namespace, heartbeat, ttl, newWarmup);
  }
}
