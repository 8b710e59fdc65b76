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
        --data-dir DIR       registry state, and the CA, join tokens and admin credential: workload
                             identities are issued only when DIR is given
                             (default ${java.io.tmpdir}/inmesh-control-HOST_PORT, without identities)
        --trust-domain TD    trust domain of the identities issued (default cluster.local)
        --cert-ttl DUR       lifetime of workload certificates (default 24h; agents renew at half-life)
        --ca-cert FILE       sign with an existing PKI's intermediate: FILE holds it, then its issuers
        --ca-key FILE        up to the root; the intermediate's key (both instead of a generated root)
        --listen-tls HOST:PORT  also serve the API over TLS, with a certificate from the mesh CA
        --tls-names N[,N]    DNS names and IPs of that certificate (default: the --listen-tls host)
        --namespace NS       namespace of resources without metadata.namespace (default "default")
        --heartbeat DUR      interval agents are told to heartbeat at (default 5s)
        --ttl DUR            an agent not heard from for this long is expired (default 15s)
        --capacity N         calls in progress at once, held polls included; past it, 503 with
                             Retry-After (default 16000: under 20,000 open files per process)
        --help               print this help

      DUR is 5s, 500ms, 2m or plain seconds.""";

  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Set<String> OPTIONS =
      Set.of("--listen", "--policy-dir", "--data-dir", "--namespace", "--heartbeat", "--ttl", "--capacity",
          "--trust-domain", "--cert-ttl", "--ca-cert", "--ca-key", "--listen-tls", "--tls-names");
  public static final Duration DEFAULT_CERT_TTL = Duration.ofHours(24);
  private static final Duration MIN_HEARTBEAT = Duration.ofMillis(100);

  private ControlPlaneFlags() {}

  /** What the command line asks for. */
  public sealed interface Outcome permits Run, Help, Invalid {}

  /** @param identity null when no --data-dir was given: the control plane issues no identities */
  public record Run(ControlPlaneConfig config, io.inmesh.control.ca.IdentityAuthority.Settings identity) implements Outcome {
    public Run(ControlPlaneConfig config) {
      this(config, null);
    }
  }

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
    String trustDomain = "cluster.local";
    Duration certTtl = DEFAULT_CERT_TTL;
    Path caCert = null;
    Path caKey = null;
    HostPort listenTls = null;
    java.util.List<String> tlsNames = null;
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
          HostPort hp = HostPort.parse(value, "--listen");
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
        case "--trust-domain" -> trustDomain = io.inmesh.policy.identity.SpiffeId.checkTrustDomain(value);
        case "--cert-ttl" -> certTtl = duration(name, value);
        case "--ca-cert" -> caCert = path(name, value);
        case "--ca-key" -> caKey = path(name, value);
        case "--listen-tls" -> listenTls = HostPort.parse(value, "--listen-tls");
        case "--tls-names" -> tlsNames = java.util.Arrays.stream(value.split(",")).map(String::trim).filter(n -> !n.isEmpty()).toList();
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
    if ((caCert == null) != (caKey == null)) {
      throw new IllegalArgumentException("--ca-cert and --ca-key go together (the intermediate and its key)");
    }
    if (certTtl.compareTo(Duration.ofSeconds(10)) < 0) {
      throw new IllegalArgumentException("--cert-ttl must be at least 10s");
    }
    io.inmesh.control.ca.IdentityAuthority.Settings identity = null;
    if (dataDir == null) {
      if (caCert != null || listenTls != null) {
        throw new IllegalArgumentException(
            (caCert != null ? "--ca-cert" : "--listen-tls") + " needs --data-dir (join tokens and the admin credential live there)");
      }
      dataDir = ControlPlaneConfig.defaultDataDir(host, port);
    } else {
      if (tlsNames == null) {
        tlsNames = listenTls == null ? java.util.List.of() : java.util.List.of(listenTls.host());
      }
      identity =
          new io.inmesh.control.ca.IdentityAuthority.Settings(
              dataDir, trustDomain, certTtl, caCert, caKey,
              listenTls == null ? null : listenTls.host(), listenTls == null ? -1 : listenTls.port(), tlsNames);
    }
    return new Run(
        new ControlPlaneConfig(
            host, port, policyDir, dataDir, namespace, heartbeat, ttl, ControlPlaneConfig.defaultWarmup(heartbeat),
            capacity),
        identity);
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
    static HostPort parse(String value, String flag) {
      int colon = value.lastIndexOf(':');
      if (colon <= 0 || colon == value.length() - 1) {
        throw new IllegalArgumentException(flag + " \"" + value + "\" must be HOST:PORT, e.g. 127.0.0.1:15010");
      }
      String host = value.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(flag + " \"" + value + "\": port is not a number");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(flag + " \"" + value + "\": port must be 0..65535");
      }
      return new HostPort(host, port);
    }
  }
}
