package io.inmesh.control;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/** {@code java -jar inmesh-control.jar --listen HOST:PORT --policy-dir DIR ...}. */
public final class ControlPlaneMain {

  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_USAGE = 2;

  private ControlPlaneMain() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != EXIT_OK) {
      System.exit(code);
    }
  }

  /**
   * Runs the command line; returns the exit code. Help and bad flags return at once (tests call
   * this); a valid command line serves until the JVM is told to stop.
   */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && args[0].equals("validate")) {
      // inmesh-control.jar validate FILE|DIR...: the policy check, without starting a server
      return io.inmesh.policy.cli.ValidateCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (args.length > 0 && args[0].equals("token")) {
      // inmesh-control.jar token create|revoke: file operations on the data dir, never over the network
      return io.inmesh.control.token.TokenCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (args.length > 0 && args[0].equals("authz")) {
      // inmesh-control.jar authz check ...: the agents' evaluator on one request, offline
      return io.inmesh.policy.cli.AuthzCheckCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (args.length > 0 && args[0].equals("ca")) {
      return io.inmesh.control.ca.CaCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    ControlPlaneFlags.Outcome outcome = ControlPlaneFlags.parse(args);
    if (outcome instanceof ControlPlaneFlags.Help) {
      out.println(ControlPlaneFlags.USAGE);
      return EXIT_OK;
    }
    if (outcome instanceof ControlPlaneFlags.Invalid invalid) {
      err.println("inmesh-control: error: " + invalid.message());
      err.println();
      err.println(ControlPlaneFlags.USAGE);
      return EXIT_USAGE;
    }
    ControlPlaneFlags.Run runFlags = (ControlPlaneFlags.Run) outcome;
    ControlPlaneConfig config = runFlags.config();
    ControlPlane plane;
    try {
      plane = ControlPlane.start(config, runFlags.identity(), EventLog.to(out));
    } catch (IOException | RuntimeException e) {
      err.println("inmesh-control: error: " + e.getMessage());
      return EXIT_FAILED;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  plane.close();
                  stopped.countDown();
                },
                "inmesh-control-shutdown"));
    try {
      // a server's main thread has nothing to do but outlive the server: it waits for the
      // shutdown hook (SIGTERM, SIGINT), however long that takes
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return EXIT_OK;
  }
}
