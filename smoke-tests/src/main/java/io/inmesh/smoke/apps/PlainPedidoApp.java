package io.inmesh.smoke.apps;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * An ordinary client application (no inmesh code): on request it calls a URL with one of the JDK's
 * two HTTP clients and reports what came back. One {@link HttpClient} instance is reused for every
 * call and HttpURLConnection uses the JDK keep-alive cache, so connections are reused across calls.
 *
 * <p>{@code GET /call?url=U&client=jdk|jdk-async|huc&canary=true|none|alternate&n=N} → JSON tallies
 * of the {@code version} each answer carried ({@code "503: no healthy upstream"} for errors), plus
 * the last answer. Usage: {@code PlainPedidoApp <address> <port> [--call-at-start URL]}.
 */
public final class PlainPedidoApp {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  private PlainPedidoApp() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 3 && args[2].equals("--call-at-start")) {
      System.out.println("CALLING-AT-START " + args[3]);
      long t0 = System.nanoTime();
      Map<String, String> r = call(args[3], "jdk", null);
      System.out.println("START-CALL " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + "ms " + r);
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/call", PlainPedidoApp::handle);
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("pedido listening on " + server.getAddress());
  }

  private static void handle(HttpExchange ex) throws IOException {
    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
    String url = q.get("url");
    String client = q.getOrDefault("client", "jdk");
    String canary = q.getOrDefault("canary", "none");
    int n = Integer.parseInt(q.getOrDefault("n", "1"));
    Map<String, Integer> tally = new TreeMap<>();
    Map<String, Integer> canaryTally = new TreeMap<>();
    Map<String, String> last = Map.of();
    for (int i = 0; i < n; i++) {
      String header =
          switch (canary) {
            case "none" -> null;
            case "alternate" -> i % 2 == 0 ? "true" : null;
            default -> canary;
          };
      last = call(url, client, header);
      String outcome = last.getOrDefault("version", last.get("status") + ": " + last.get("body"));
      (header != null ? canaryTally : tally).merge(outcome, 1, Integer::sum);
    }
    StringBuilder json = new StringBuilder("{\"plain\":").append(toJson(tally)).append(",\"canary\":").append(toJson(canaryTally));
    json.append(",\"last\":").append(toJson(last)).append('}');
    byte[] b = json.toString().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  /** One call; the result holds status, body, version (when JSON), the response URI. */
  static Map<String, String> call(String url, String client, String canary) {
    Map<String, String> r = new LinkedHashMap<>();
    try {
      int status;
      String body;
      switch (client) {
        case "huc" -> {
          HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
          c.setConnectTimeout(3000);
          c.setReadTimeout(10000);
          if (canary != null) {
            c.setRequestProperty("x-canary", canary);
          }
          status = c.getResponseCode();
          InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
          body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
          in.close();
          r.put("uri", c.getURL().toString());
        }
        case "jdk", "jdk-async" -> {
          HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
          if (canary != null) {
            b.header("x-canary", canary);
          }
          HttpResponse<String> resp =
              client.equals("jdk")
                  ? CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString())
                  : CLIENT.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);
          status = resp.statusCode();
          body = resp.body();
          r.put("uri", resp.uri().toString());
        }
        default -> throw new IllegalArgumentException("unknown client " + client);
      }
      r.put("status", String.valueOf(status));
      r.put("body", body);
      if (status == 200) {
        for (String field : new String[] {"version", "listener", "host", "path", "canary", "traceparent", "b3"}) {
          String v = field(body, field);
          if (v != null) {
            r.put(field, v);
          }
        }
      }
    } catch (Exception e) {
      r.put("status", "0");
      r.put("body", e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return r;
  }

  private static String field(String json, String name) {
    String key = "\"" + name + "\":\"";
    int i = json.indexOf(key);
    if (i < 0) {
      return null;
    }
    int end = json.indexOf('"', i + key.length());
    return end < 0 ? null : json.substring(i + key.length(), end);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> m = new HashMap<>();
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

  private static String toJson(Map<String, ?> m) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, ?> e : m.entrySet()) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"').append(esc(e.getKey())).append("\":");
      Object v = e.getValue();
      sb.append(v instanceof Number ? v.toString() : "\"" + esc(String.valueOf(v)) + "\"");
    }
    return sb.append('}').toString();
  }

  private static String esc(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "");
  }
}
