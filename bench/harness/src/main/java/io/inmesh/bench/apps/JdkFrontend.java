package io.inmesh.bench.apps;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * The frontend of the plain JDK pair (no inmesh code): on each request it calls the backend URL with
 * one shared {@link HttpClient} (HTTP/1.1, keep-alive) and returns the backend's status and body.
 * Usage: {@code JdkFrontend <address> <port> <backend url>}; a request for {@code /x} calls
 * {@code <backend url>/x}.
 */
public final class JdkFrontend {
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3)).build();
  private static String backend;

  private JdkFrontend() {}

  public static void main(String[] args) throws IOException {
    backend = args[2].endsWith("/") ? args[2].substring(0, args[2].length() - 1) : args[2];
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 256);
    server.createContext("/", JdkFrontend::handle);
    // handlers block on the backend call: one thread per concurrent request
    server.setExecutor(Executors.newFixedThreadPool(32));
    server.start();
    System.out.println("frontend listening on " + server.getAddress() + ", backend " + backend);
  }

  private static void handle(HttpExchange ex) throws IOException {
    ex.getRequestBody().readAllBytes();
    int status;
    byte[] body;
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create(backend + ex.getRequestURI())).timeout(Duration.ofSeconds(10)).GET().build();
      HttpResponse<byte[]> resp = CLIENT.send(req, HttpResponse.BodyHandlers.ofByteArray());
      status = resp.statusCode();
      body = resp.body();
    } catch (IOException e) {
      status = 502;
      body = ("{\"error\":\"" + e.getClass().getSimpleName() + "\"}").getBytes(StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      status = 503;
      body = new byte[0];
    }
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
    ex.close();
  }
}
