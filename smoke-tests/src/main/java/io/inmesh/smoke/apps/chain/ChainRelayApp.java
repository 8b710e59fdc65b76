package io.inmesh.smoke.apps.chain;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * B and C of the retry-storm chain: an ordinary service that serves each request by calling the
 * next service, and answers 502 when its callee fails, as an app passing an error up would. No
 * retries of its own. The callee is called with HttpURLConnection ({@code huc}) or a JDK HttpClient
 * pinned to HTTP/1.1 ({@code jdk-http1}).
 *
 * <p>Usage: {@code ChainRelayApp <address> <port> <callee URL> huc|jdk-http1}.
 */
public final class ChainRelayApp {
  private static final HttpClient HTTP1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3)).build();

  private ChainRelayApp() {}

  public static void main(String[] args) throws IOException {
    String callee = args[2];
    String client = args[3];
    if (!client.equals("huc") && !client.equals("jdk-http1")) {
      throw new IllegalArgumentException("client must be huc or jdk-http1, got " + client);
    }
    ControlPath control = new ControlPath();
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    control.install(server);
    server.createContext(
        "/",
        ex -> {
          control.served.incrementAndGet();
          relay(ex, callee, client);
        });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("chain relay listening on " + server.getAddress() + " calling " + callee + " with " + client);
  }

  private static void relay(HttpExchange ex, String callee, String client) throws IOException {
    int status;
    String body;
    try {
      if (client.equals("huc")) {
        HttpURLConnection c = (HttpURLConnection) new URL(callee).openConnection();
        c.setConnectTimeout(3000);
        c.setReadTimeout(20000);
        status = c.getResponseCode();
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        if (in != null) {
          in.close();
        }
      } else {
        HttpResponse<String> r =
            HTTP1.send(HttpRequest.newBuilder(URI.create(callee)).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        status = r.statusCode();
        body = r.body();
      }
    } catch (IOException | InterruptedException e) {
      ControlPath.answer(ex, 502, "bad gateway: " + e);
      return;
    }
    if (status / 100 == 2) {
      ControlPath.answer(ex, 200, body);
    } else {
      ControlPath.answer(ex, 502, "bad gateway: callee answered " + status + " " + body);
    }
  }
}
