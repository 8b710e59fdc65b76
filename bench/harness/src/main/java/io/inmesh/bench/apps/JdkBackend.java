package io.inmesh.bench.apps;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The backend of the plain JDK pair: an ordinary {@code com.sun.net.httpserver} application (no
 * inmesh code, no dependencies) that answers every path with a small JSON document.
 * Usage: {@code JdkBackend <address> <port>}.
 */
public final class JdkBackend {
  /** {@code -Dbench.backend.version=v2} names the version it answers with (the route-propagation probe tells two backends apart by it). */
  private static final byte[] BODY =
      ("{\"id\":1,\"name\":\"usuario 1\",\"email\":\"usuario1@example.com\",\"version\":\"" + System.getProperty("bench.backend.version", "v1") + "\"}")
          .getBytes(StandardCharsets.UTF_8);

  private JdkBackend() {}

  public static void main(String[] args) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 256);
    server.createContext("/", JdkBackend::answer);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    System.out.println("backend listening on " + server.getAddress());
  }

  private static void answer(HttpExchange ex) throws IOException {
    ex.getRequestBody().readAllBytes();
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, BODY.length);
    ex.getResponseBody().write(BODY);
    ex.close();
  }
}
