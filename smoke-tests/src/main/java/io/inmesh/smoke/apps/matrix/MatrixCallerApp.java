package io.inmesh.smoke.apps.matrix;

import static io.inmesh.smoke.apps.AppText.first;
import static io.inmesh.smoke.apps.AppText.query;
import static io.inmesh.smoke.apps.AppText.toJson;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import feign.Feign;
import feign.FeignException;
import io.inmesh.smoke.apps.AppText;
import io.inmesh.smoke.apps.feign.FeignCallerApp;
import io.inmesh.smoke.apps.jetty.JettyCallerApp;
import io.inmesh.smoke.apps.tasks.TaskCallerApp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * The client side of the client × server matrix (ClientServerMatrixSmokeTest): an ordinary
 * application (no inmesh code) that holds every client the agent meshes and makes calls with the
 * same client code as the other callers, one client instance of each kind for every call:
 *
 * <ul>
 *   <li>the task caller's clients ({@link TaskCallerApp#call}): {@code jdk}, {@code jdk-http1},
 *       {@code huc}, {@code okhttp4}/{@code okhttp5} (whichever OkHttp is on the class path),
 *       {@code apache5}, {@code apache5-async}, {@code apache4}, {@code reactor-netty},
 *       {@code webclient};
 *   <li>Jetty's {@code HttpClient} ({@link JettyCallerApp#call}): {@code jetty}, started on first use;
 *   <li>OpenFeign ({@link FeignCallerApp.Usuarios}, {@code Feign.builder().target(..)}, one per
 *       target): {@code feign} (Feign's default client) and {@code feign-okhttp}.
 * </ul>
 *
 * <p>{@code GET /call?url=U&client=C&n=N&h=name:value...}: N sequential GETs; answers
 * {@code {"statuses":{..},"results":[{status, listener, error}..]}} (status 0: the call threw).
 * {@code listener} is the listener the upstream says answered, read from a JSON answer
 * ({@code "listener":"a:p"}) or a {@code key=value} one ({@code listener=a:p}): the servers of the
 * matrix answer in either form.
 *
 * <p>Usage: {@code MatrixCallerApp <address> <port>}.
 */
public final class MatrixCallerApp {
  private static final Map<String, FeignCallerApp.Usuarios> FEIGN = new ConcurrentHashMap<>();
  private static volatile boolean jettyStarted;

  private MatrixCallerApp() {}

  public static void main(String[] args) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/call", MatrixCallerApp::handle);
    // the test drives every client at once
    server.setExecutor(Executors.newFixedThreadPool(16));
    server.start();
    System.out.println("matrix caller listening on " + server.getAddress());
  }

  private static void handle(HttpExchange ex) throws IOException {
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    String url = first(q, "url", null);
    String client = first(q, "client", "jdk");
    int n = Integer.parseInt(first(q, "n", "1"));
    List<String[]> headers = new ArrayList<>();
    for (String h : q.getOrDefault("h", List.of())) {
      int colon = h.indexOf(':');
      headers.add(new String[] {h.substring(0, colon).trim(), h.substring(colon + 1).trim()});
    }
    Map<String, Integer> statuses = new TreeMap<>();
    StringBuilder list = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      Map<String, String> r = call(url, client, headers);
      statuses.merge(r.get("status"), 1, Integer::sum);
      list.append(list.length() > 1 ? "," : "").append(toJson(r));
    }
    byte[] b = ("{\"statuses\":" + toJson(statuses) + ",\"results\":" + list.append(']') + "}").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  /** One GET as the application makes it; never throws. */
  static Map<String, String> call(String url, String client, List<String[]> headers) {
    Map<String, String> r;
    switch (client) {
      case "jetty" -> {
        startJetty();
        r = JettyCallerApp.call(url, "jetty", "GET", new byte[0], headers, 20_000);
      }
      case "feign", "feign-okhttp" -> r = feign(url, client, headers);
      default -> r = TaskCallerApp.call(url, client, "GET", new byte[0], headers, 20_000);
    }
    Map<String, String> out = new LinkedHashMap<>();
    out.put("status", r.getOrDefault("status", "0"));
    String listener = r.getOrDefault("listener", "");
    if (listener.isEmpty()) {
      listener = keyValue(r.getOrDefault("body", ""), "listener");
    }
    out.put("listener", listener);
    if (r.containsKey("error")) {
      out.put("error", r.get("error"));
    }
    return out;
  }

  private static synchronized void startJetty() {
    if (!jettyStarted) {
      try {
        JettyCallerApp.startClient();
      } catch (Exception e) {
        throw new IllegalStateException("Jetty HttpClient did not start", e);
      }
      jettyStarted = true;
    }
  }

  private static Map<String, String> feign(String url, String client, List<String[]> headers) {
    Map<String, String> r = new LinkedHashMap<>();
    URI u = URI.create(url);
    String base = u.getScheme() + "://" + u.getRawAuthority();
    FeignCallerApp.Usuarios api = FEIGN.computeIfAbsent(client + " " + base, k -> (client.equals("feign-okhttp")
        ? Feign.builder().client(new feign.okhttp.OkHttpClient()) : Feign.builder()).target(FeignCallerApp.Usuarios.class, base));
    Map<String, Object> h = new LinkedHashMap<>();
    for (String[] kv : headers) {
      h.put(kv[0], kv[1]);
    }
    try {
      String body = api.usuario(u.getPath().substring(u.getPath().lastIndexOf('/') + 1), h);
      r.put("status", "200");
      r.put("listener", AppText.field(body, "listener"));
      r.put("body", body.length() > 300 ? body.substring(0, 300) : body);
    } catch (FeignException e) {
      r.put("status", String.valueOf(e.status()));
      r.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
    } catch (RuntimeException e) {
      r.put("status", "0");
      r.put("error", e.toString());
    }
    return r;
  }

  /** {@code name}'s value in a {@code key=value} line of {@code body}, or "". */
  static String keyValue(String body, String name) {
    for (String line : body.split("\n")) {
      if (line.startsWith(name + "=")) {
        return line.substring(name.length() + 1).trim();
      }
    }
    return "";
  }
}
