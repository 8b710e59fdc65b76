package io.inmesh.smoke.apps.outofrange;

import static io.inmesh.smoke.apps.AppText.esc;
import static io.inmesh.smoke.apps.AppText.first;
import static io.inmesh.smoke.apps.AppText.query;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * An ordinary application (no inmesh code) whose class path holds client libraries older than the
 * versions inmesh meshes: OkHttp 3.14, Apache HttpClient 5.0 and 4.2 (compiled against newer ones; the
 * calls used here have the same shape in both). It also has the JDK {@code HttpClient}, which the
 * agent meshes.
 *
 * <p>{@code GET /call?client=okhttp3|apache50|apache42|jdk&url=U}: one {@code GET U} through that client, a
 * new client instance each time (each build goes through the library's own builder); answers
 * {@code {"client":..,"status":N,"body":..}} or {@code {"client":..,"status":0,"error":..}}.
 *
 * <p>Usage: {@code OutOfRangeCallerApp <address> <port> [tomcat|undertow=<jar dir>:<port>]...}: each
 * starts a server older than the versions inmesh meshes ({@link OldServers}).
 */
public final class OutOfRangeCallerApp {
  private OutOfRangeCallerApp() {}

  public static void main(String[] args) throws Exception {
    OldServers.startAll(args[0], args);
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/call", OutOfRangeCallerApp::call);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("out-of-range caller listening on " + server.getAddress());
  }

  private static void call(HttpExchange ex) throws IOException {
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    String client = first(q, "client", "jdk");
    String url = first(q, "url", "");
    String json;
    try {
      String[] r = switch (client) {
        case "okhttp3" -> okhttp(url);
        case "apache50" -> apache(url);
        case "apache42" -> apache4(url);
        case "jdk" -> jdk(url);
        default -> throw new IllegalArgumentException("unknown client " + client);
      };
      json = "{\"client\":\"" + client + "\",\"status\":" + r[0] + ",\"body\":\"" + esc(r[1]) + "\"}";
    } catch (Throwable t) {
      json = "{\"client\":\"" + client + "\",\"status\":0,\"error\":\"" + esc(t.toString()) + "\"}";
    }
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  private static String[] okhttp(String url) throws IOException {
    okhttp3.OkHttpClient client = new okhttp3.OkHttpClient.Builder().build();
    try (okhttp3.Response r = client.newCall(new okhttp3.Request.Builder().url(url).build()).execute()) {
      return new String[] {String.valueOf(r.code()), r.body().string()};
    } finally {
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
  }

  @SuppressWarnings("deprecation")
  private static String[] apache(String url) throws Exception {
    try (org.apache.hc.client5.http.impl.classic.CloseableHttpClient client =
            org.apache.hc.client5.http.impl.classic.HttpClients.custom().build();
        org.apache.hc.client5.http.impl.classic.CloseableHttpResponse r =
            client.execute(new org.apache.hc.client5.http.classic.methods.HttpGet(url))) {
      return new String[] {String.valueOf(r.getCode()), org.apache.hc.core5.http.io.entity.EntityUtils.toString(r.getEntity())};
    }
  }

  /** 4.0–4.2's client (its {@code DefaultHttpClient}; 4.3's builder does not exist there). */
  @SuppressWarnings("deprecation")
  private static String[] apache4(String url) throws Exception {
    // through the HttpClient interface: compiled against 4.5, DefaultHttpClient.execute would be
    // CloseableHttpClient's (4.3+), which 4.2 does not have
    org.apache.http.client.HttpClient client = new org.apache.http.impl.client.DefaultHttpClient();
    try {
      org.apache.http.HttpResponse r = client.execute(new org.apache.http.client.methods.HttpGet(url));
      return new String[] {String.valueOf(r.getStatusLine().getStatusCode()), org.apache.http.util.EntityUtils.toString(r.getEntity())};
    } finally {
      client.getConnectionManager().shutdown();
    }
  }

  private static String[] jdk(String url) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    return new String[] {String.valueOf(r.statusCode()), r.body()};
  }
}
