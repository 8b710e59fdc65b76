package io.inmesh.control;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The command line, parsed without side effects so that it can be tested as a function: {@link
 * ControlPlaneMain} turns the outcome into output and an exit code.
 */
public final class ControlPlaneFlags {

  public static final String USAGE =
      """
      usage: java -jar inmesh-control.jar --policy-dir DIR [options]

        --listen HOST:PORT   address to serve the API on (default 127.0.0.1:15010)
        --policy-dir DIR     folder of Istio YAML (*.yaml, *.yml) to watch; created if missing (required)
        --data-dir DIR       registry state (default ${java.io.tmpdir}/inmesh-control-HOST_PORT)
        --namespace NS       namespace of resources without metadata.namespace (default "default")
        --heartbeat DUR      interval agents are told to heartbeat at (default 5s)
        --ttl DUR            an agent not heard from for this long is expired (default 15s)
        --capacity N         calls in progress at once, held polls included; past it, 503 with
                             Retry-After (default 16000: under 20,000 open files per process)
        --help               print this help

      DUR is 5s, 500ms, 2m or plain seconds.""";

  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Set<String> OPTIONS =
      Set.of("--listen", "--policy-dir", "--data-dir", "--namespace", "--heartbeat", "--ttl", "--capacity");
  private static final Duration MIN_HEARTBEAT = Duration.ofMillis(100);

  private ControlPlaneFlags() {}

  /** What the command line asks for. */
  public sealed interface Outcome permits Run, Help, Invalid {}

  public record Run(ControlPlaneConfig config) implements Outcome {}

  public record Help() implements Outcome {}

  /** @param message what is wrong and how to fix it, one line */
  public record Invalid(String message) implements Outcome {}

  public static Outcome parse(String... args) {
    try {
      return parseOrThrow(args);
    } catch (IllegalArgumentException e) {
      return new Invalid(e.getMessage());
    }
  }

  private static Outcome parseOrThrow(String[] args) {
    String host = ControlPlaneConfig.DEFAULT_HOST;
    int port = ControlPlaneConfig.DEFAULT_PORT;
    Path policyDir = null;
    Path dataDir = null;
    String namespace = ControlPlaneConfig.DEFAULT_NAMESPACE;
    Duration heartbeat = ControlPlaneConfig.DEFAULT_HEARTBEAT;
    Duration ttl = ControlPlaneConfig.DEFAULT_TTL;
    int capacity = ControlPlaneConfig.DEFAULT_CAPACITY;

    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        return new Help();
      }
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument \"" + arg + "\" (every option is --name VALUE)");
      }
      int eq = arg.indexOf('=');
      String name = eq > 0 ? arg.substring(0, eq) : arg;
      if (!OPTIONS.contains(name)) {
        throw new IllegalArgumentException("unknown option " + name);
      }
      String value;
      if (eq > 0) {
        value = arg.substring(eq + 1);
      } else {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(arg + " needs a value");
        }
        value = args[++i];
      }
      switch (name) {
        case "--listen" -> {
          HostPort hp = HostPort.parse(value);
          host = hp.host();
          port = hp.port();
        }
        case "--policy-dir" -> policyDir = path(name, value);
        case "--data-dir" -> dataDir = path(name, value);
        case "--namespace" -> {
          if (!NAMESPACE.matcher(value).matches()) {
            throw new IllegalArgumentException(
                "--namespace \"" + value + "\" is not a valid namespace (lower-case letters, digits and '-')");
          }
          namespace = value;
        }
        case "--heartbeat" -> heartbeat = duration(name, value);
        case "--ttl" -> ttl = duration(name, value);
        case "--capacity" -> {
          try {
            capacity = Integer.parseInt(value.trim());
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--capacity \"" + value + "\" is not a number");
          }
          if (capacity < 10) {
            throw new IllegalArgumentException("--capacity must be at least 10 (calls in progress at once)");
          }
        }
        default -> throw new IllegalArgumentException("unknown option " + name);
      }
    }
    if (policyDir == null) {
      throw new IllegalArgumentException("--policy-dir is required (the folder of Istio YAML to serve)");
    }
    if (heartbeat.compareTo(MIN_HEARTBEAT) < 0) {
      throw new IllegalArgumentException("--heartbeat must be at least " + Durations.format(MIN_HEARTBEAT));
    }
    if (ttl.compareTo(heartbeat) <= 0) {
      throw new IllegalArgumentException(
          "--ttl ("
              + Durations.format(ttl)
              + ") must be longer than --heartbeat ("
              + Durations.format(heartbeat)
              + "), or live agents expire between heartbeats; use about 3x the heartbeat");
    }
    if (dataDir == null) {
      dataDir = ControlPlaneConfig.defaultDataDir(host, port);
    }
    return new Run(
        new ControlPlaneConfig(
            host, port, policyDir, dataDir, namespace, heartbeat, ttl, ControlPlaneConfig.defaultWarmup(heartbeat),
            capacity));
  }

  private static Path path(String name, String value) {
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " needs a directory");
    }
    try {
      return Path.of(value);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(name + " \"" + value + "\" is not a valid path");
    }
  }

  private static Duration duration(String name, String value) {
    try {
      return Durations.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage());
    }
  }

  /** {@code host:port}, with {@code [v6]:port} for IPv6 literals. */
  record HostPort(String host, int port) {
    static HostPort parse(String value) {
      int colon = value.lastIndexOf(':');
      if (colon <= 0 || colon == value.length() - 1) {
        throw new IllegalArgumentException("--listen \"" + value + "\" must be HOST:PORT, e.g. 127.0.0.1:15010");
      }
      String host = value.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--listen \"" + value + "\": port is not a number");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("--listen \"" + value + "\": port must be 0..65535");
      }
      return new HostPort(host, port);
    }
  }
}
