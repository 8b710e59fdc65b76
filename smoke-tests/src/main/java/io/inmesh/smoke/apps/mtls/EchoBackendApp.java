package io.inmesh.smoke.apps.mtls;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain JDK HttpServer application (no inmesh code) that says what it received: which service
 * answered, on which listener, and the {@code X-Forwarded-Client-Cert} header it saw (empty when
 * none), one {@code key=value} per line; {@code peer=} the client's port (one per connection). {@code /count} says how many requests it served.
 *
 * <p>Usage: {@code EchoBackendApp <address> <port>...} (one listener per port); the service name comes from {@code APP_NAME}.
 */
public final class EchoBackendApp {
  private static final AtomicInteger SERVED = new AtomicInteger();

  private EchoBackendApp() {}

  public static void main(String[] args) throws IOException {
    String name = System.getenv().getOrDefault("APP_NAME", "echo");
    for (int i = 1; i < args.length; i++) {
      HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[i])), 64);
      server.createContext("/count", ex -> answer(ex, "served=" + SERVED.get() + "\n"));
      server.createContext("/", ex -> {
        SERVED.incrementAndGet();
        ex.getRequestBody().readAllBytes();
        String xfcc = ex.getRequestHeaders().getFirst("X-Forwarded-Client-Cert");
        answer(ex, "service=" + name + "\nlistener=" + ex.getLocalAddress().getAddress().getHostAddress() + ":" + ex.getLocalAddress().getPort()
            + "\nxfcc=" + (xfcc == null ? "" : xfcc) + "\n" + "peer=" + ex.getRemoteAddress().getPort() + "\n");
      });
      server.setExecutor(Executors.newFixedThreadPool(8));
      server.start();
      System.out.println("echo backend " + name + " listening on " + server.getAddress());
    }
  }

  private static void answer(HttpExchange ex, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("content-type", "text/plain");
    ex.sendResponseHeaders(200, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }
}
