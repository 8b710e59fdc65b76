package io.inmesh.smoke.apps.chain;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

/**
 * D, the end of the retry-storm chain: an ordinary JDK HttpServer app. Mode {@code down} answers
 * every request 503 "down"; {@code one-in-three} fails the 1st, 4th, 7th, … request it serves with
 * 503 (deterministic, so the thresholds can't flake); {@code up} answers 200. {@code POST
 * /control/mode?set=M} switches the mode and zeroes the count.
 *
 * <p>Usage: {@code ChainBackendApp <address> <port> [mode]}.
 */
public final class ChainBackendApp {
  private static volatile String mode = "up";

  private ChainBackendApp() {}

  public static void main(String[] args) throws IOException {
    if (args.length > 2) {
      mode = args[2];
    }
    ControlPath control = new ControlPath();
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    control.install(server);
    server.createContext(
        "/control/mode",
        ex -> {
          String set = ControlPath.query(ex).get("set");
          if (set == null || !(set.equals("up") || set.equals("down") || set.equals("one-in-three"))) {
            ControlPath.answer(ex, 400, "set=up|down|one-in-three, got " + set);
            return;
          }
          mode = set;
          control.served.set(0);
          ControlPath.answer(ex, 200, mode);
        });
    server.createContext(
        "/",
        ex -> {
          int n = control.served.incrementAndGet();
          boolean fail =
              switch (mode) {
                case "down" -> true;
                case "one-in-three" -> n % 3 == 1;
                default -> false;
              };
          if (fail) {
            ControlPath.answer(ex, 503, "down");
          } else {
            ControlPath.answer(ex, 200, "done by D (request " + n + ")");
          }
        });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("chain backend listening on " + server.getAddress() + " mode " + mode);
  }
}
