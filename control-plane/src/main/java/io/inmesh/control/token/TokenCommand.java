package io.inmesh.control.token;

import io.inmesh.control.Durations;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * {@code inmesh-control.jar token create|revoke}: works on the data directory's files, never over
 * the network, so only someone who can read the data directory mints or revokes tokens.
 */
public final class TokenCommand {

  public static final Duration DEFAULT_TTL = Duration.ofHours(24);

  public static final String USAGE =
      """
      usage: inmesh token create --data-dir DIR --namespace NS --service-account SA [--ttl DUR]
             inmesh token revoke --data-dir DIR TOKEN|ID

        create   prints a join token, alone on stdout; an agent given it as INMESH_TOKEN obtains the
                 identity spiffe://<trust-domain>/ns/NS/sa/SA, as can any number of replicas, until
                 the token expires (--ttl, default 24h) or is revoked
        revoke   refuses the token from now on (workloads that already hold a certificate keep it
                 until it expires, and renew with it)""";

  private TokenCommand() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      (args.length == 0 ? err : out).println(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String verb = args[0];
    Path dataDir = null;
    String namespace = null;
    String serviceAccount = null;
    Duration ttl = DEFAULT_TTL;
    String positional = null;
    try {
      for (int i = 1; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--data-dir" -> dataDir = Path.of(value(args, ++i, a));
          case "--namespace" -> namespace = value(args, ++i, a);
          case "--service-account" -> serviceAccount = value(args, ++i, a);
          case "--ttl" -> ttl = Durations.parse(value(args, ++i, a));
          default -> {
            if (a.startsWith("--") || positional != null) {
              throw new IllegalArgumentException("unexpected argument " + a);
            }
            positional = a;
          }
        }
      }
      if (dataDir == null) {
        throw new IllegalArgumentException("--data-dir is required (the control plane's --data-dir)");
      }
      if (!Files.isDirectory(dataDir)) {
        throw new IllegalArgumentException("--data-dir " + dataDir + " does not exist (start the control plane with it first)");
      }
      JoinTokens tokens = new JoinTokens(dataDir, Clock.systemUTC());
      switch (verb) {
        case "create" -> {
          if (namespace == null || serviceAccount == null) {
            throw new IllegalArgumentException("create needs --namespace and --service-account");
          }
          if (positional != null) {
            throw new IllegalArgumentException("unexpected argument " + positional);
          }
          out.println(tokens.create(namespace, serviceAccount, ttl));
          return 0;
        }
        case "revoke" -> {
          if (positional == null) {
            throw new IllegalArgumentException("revoke needs the token or its id");
          }
          String id = tokens.revoke(positional);
          err.println("revoked join token " + id);
          return 0;
        }
        default -> throw new IllegalArgumentException("unknown token command \"" + verb + "\" (create or revoke)");
      }
    } catch (IllegalArgumentException e) {
      err.println("inmesh token: error: " + e.getMessage());
      err.println();
      err.println(USAGE);
      return 2;
    } catch (IOException e) {
      err.println("inmesh token: error: " + e.getMessage());
      return 1;
    }
  }

  private static String value(String[] args, int i, String name) {
    if (i >= args.length) {
      throw new IllegalArgumentException(name + " needs a value");
    }
    return args[i];
  }
}
