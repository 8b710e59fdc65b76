package io.inmesh.control.ca;

import io.inmesh.policy.identity.SpiffeId;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;

/**
 * {@code inmesh-control.jar ca rotate|retire --data-dir DIR [--trust-domain TD]}: root rotation as
 * file operations on the data directory; a running control plane picks the change up by itself.
 */
public final class CaCommand {

  public static final String USAGE =
      """
      usage: java -jar inmesh-control.jar ca rotate --data-dir DIR [--trust-domain TD]
             java -jar inmesh-control.jar ca retire --data-dir DIR

        rotate   a new root signs from now on; the old root stays trusted and cross-signs the new
                 one, so agents that have not yet received the new root keep verifying
        retire   end the overlap: only the current root stays trusted (wait until every workload
                 renewed, one --cert-ttl after the rotation)""";

  private CaCommand() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      err.println(USAGE);
      return 2;
    }
    Path dataDir = null;
    String trustDomain = "cluster.local";
    try {
      for (int i = 1; i < args.length; i++) {
        switch (args[i]) {
          case "--data-dir" -> dataDir = Path.of(need(args, ++i));
          case "--trust-domain" -> trustDomain = SpiffeId.checkTrustDomain(need(args, ++i));
          default -> throw new IllegalArgumentException("unexpected argument " + args[i]);
        }
      }
      if (dataDir == null) {
        throw new IllegalArgumentException("--data-dir is required");
      }
      CaDirectory ca = new CaDirectory(dataDir);
      X509Certificate root;
      switch (args[0]) {
        case "rotate" -> {
          root = ca.rotate(trustDomain, Clock.systemUTC());
          out.println("new root " + root.getSubjectX500Principal().getName() + " signs from now on; the old root stays trusted until `ca retire`");
        }
        case "retire" -> {
          root = ca.retire();
          out.println("only " + root.getSubjectX500Principal().getName() + " is trusted now");
        }
        default -> throw new IllegalArgumentException("unknown ca command \"" + args[0] + "\" (rotate or retire)");
      }
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("inmesh-control ca: error: " + e.getMessage());
      err.println(USAGE);
      return 2;
    } catch (IOException e) {
      err.println("inmesh-control ca: error: " + e.getMessage());
      return 1;
    }
  }

  private static String need(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(args[i - 1] + " needs a value");
    }
    return args[i];
  }
}
