package io.inmesh.smoke.apps.trace;

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

/**
 * A plain JDK HttpServer application (no inmesh code, no tracing code) that, while serving a
 * request, calls a mesh backend and a host outside the mesh with the JDK HttpClient ({@code send}
 * on the serving thread, {@code sendAsync} completing on the client's executor) and with
 * HttpURLConnection, and OkHttp ({@code execute}, OkHttp 4 on its class path), and once with a
 * {@code traceparent} of its own; answers with what each backend
 * echoed. Usage: {@code TraceFrontendApp <address> <port> <mesh url> <outside url>}.
 */
public final class TraceFrontendApp {
  static final String OWN = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private TraceFrontendApp() {}

  public static void main(String[] args) throws IOException {
    String mesh = args[2];
    String outside = args[3];
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/", ex -> answer(ex, mesh, outside));
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("trace frontend listening on " + server.getAddress());
  }

  private static void answer(HttpExchange ex, String mesh, String outside) throws IOException {
    String json;
    int status = 200;
    try {
      json =
          "{\"jdkMesh\":" + send(mesh, null)
              + ",\"jdkAsyncMesh\":" + CLIENT.sendAsync(get(mesh, null), HttpResponse.BodyHandlers.ofString()).get(10, java.util.concurrent.TimeUnit.SECONDS).body()
              + ",\"jdkOutside\":" + send(outside, null)
              + ",\"jdkAsyncOutside\":" + CLIENT.sendAsync(get(outside, null), HttpResponse.BodyHandlers.ofString()).get(10, java.util.concurrent.TimeUnit.SECONDS).body()
              + ",\"hucMesh\":" + huc(mesh)
              + ",\"hucOutside\":" + huc(outside)
              + ",\"okMesh\":" + TraceOkHttpCalls.get(mesh)
              + ",\"okOutside\":" + TraceOkHttpCalls.get(outside)
              + ",\"jdkMeshOwn\":" + send(mesh, OWN)
              + ",\"jdkOutsideOwn\":" + send(outside, OWN)
              + "}";
    } catch (Exception e) {
      status = 500;
      json = "{\"error\":\"" + e.toString().replace("\"", "'") + "\"}";
    }
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  private static HttpRequest get(String url, String traceparent) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (traceparent != null) {
      b.header("traceparent", traceparent);
    }
    return b.build();
  }

  private static String send(String url, String traceparent) throws Exception {
    return CLIENT.send(get(url, traceparent), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static String huc(String url) throws IOException {
    HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
    c.setConnectTimeout(5000);
    c.setReadTimeout(10000);
    try (InputStream in = c.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
