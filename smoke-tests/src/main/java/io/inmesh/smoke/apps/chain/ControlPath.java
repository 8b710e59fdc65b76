package io.inmesh.smoke.apps.chain;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What each app of the chain shares: a count of the requests it served, and a control path the
 * test calls directly by address (never through a mesh client) to read and reset it. {@code GET
 * /control/count} answers the count; {@code POST /control/reset} zeroes it.
 */
final class ControlPath {
  final AtomicInteger served = new AtomicInteger();

  void install(HttpServer server) {
    server.createContext(
        "/control/count", ex -> answer(ex, 200, String.valueOf(served.get())));
    server.createContext(
        "/control/reset",
        ex -> {
          served.set(0);
          answer(ex, 200, "0");
        });
  }

  static void answer(HttpExchange ex, int status, String body) throws IOException {
    ex.getRequestBody().readAllBytes();
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "text/plain");
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      ex.getResponseBody().write(b);
    }
    ex.close();
  }

  static Map<String, String> query(HttpExchange ex) {
    Map<String, String> m = new HashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String kv : raw.split("&")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          m.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return m;
  }
}
