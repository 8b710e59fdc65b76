package io.inmesh.smoke.apps;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * An ordinary JDK HttpServer application, with no inmesh code and no inmesh dependency: answers
 * every path with who it is (APP_VERSION), which listener served the request and the Host header
 * it received. Usage: {@code PlainUsuarioApp <address> <port> [<extra port>...]}.
 */
public final class PlainUsuarioApp {
  private PlainUsuarioApp() {}

  public static void main(String[] args) throws IOException {
    String address = args[0];
    String version = System.getenv().getOrDefault("APP_VERSION", "v1");
    for (int i = 1; i < args.length; i++) {
      HttpServer server = HttpServer.create(new InetSocketAddress(address, Integer.parseInt(args[i])), 64);
      server.createContext("/", ex -> answer(ex, version));
      server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
      server.start();
      System.out.println("usuario " + version + " listening on " + server.getAddress());
    }
  }

  private static void answer(HttpExchange ex, String version) throws IOException {
    String json =
        "{\"version\":\"" + version + "\",\"listener\":\"" + ex.getLocalAddress().getAddress().getHostAddress() + ":"
            + ex.getLocalAddress().getPort() + "\",\"host\":\"" + ex.getRequestHeaders().getFirst("Host")
            + "\",\"path\":\"" + ex.getRequestURI() + "\",\"canary\":\"" + ex.getRequestHeaders().getFirst("x-canary")
            + "\",\"traceparent\":\"" + ex.getRequestHeaders().getFirst("traceparent")
            + "\",\"b3\":\"" + ex.getRequestHeaders().getFirst("x-b3-traceid") + "\"}";
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }
}
