package io.inmesh.smoke.apps.tasks;

import static io.inmesh.smoke.apps.AppText.field;
import static io.inmesh.smoke.apps.AppText.first;
import static io.inmesh.smoke.apps.AppText.query;
import static io.inmesh.smoke.apps.AppText.toJson;
import static io.inmesh.smoke.apps.AppText.esc;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The caller of Istio's task pages, in the role of Bookinfo's {@code productpage}: an ordinary
 * application (no inmesh code) that calls a URL with one of the JDK's clients, as users build them,
 * and reports each answer. One client instance of each kind is reused for every call; the JDK's
 * keep-alive cache serves HttpURLConnection.
 *
 * <p>{@code GET /call?url=U&client=C&n=N&concurrency=K&timeoutMs=T&h=name:value...[&method=M&bodyBytes=B]}:
 * N calls, K at a time, each with the application's own timeout T (request timeout, or read timeout
 * for HttpURLConnection), method M (GET) with a body of B bytes (none), sequential calls
 * {@code pauseMs} apart (0). Clients: {@code jdk}, {@code jdk-async} (the default client: HTTP/2
 * preferred), {@code jdk-http1}, {@code jdk-http1-async} (pinned to HTTP/1.1), {@code huc}
 * (HttpURLConnection), and with their libraries on the class path {@code okhttp4}, {@code okhttp5},
 * {@code apache5}, {@code apache5-async}, {@code apache5-resttemplate}, {@code apache4},
 * {@code webclient}, {@code reactor-netty}, {@code restclient}, {@code jetty} (Jetty 12's client, JettyCalls),
 * {@code feign} (OpenFeign over its default client, FeignCalls). Answers JSON: {@code {"statuses":{..},"results":[{status, reason, version,
 * listener, host, peer, cookie, setCookie, body, error}..]}}; status 0 means the call threw ({@code error} says what).
 *
 * <p>Usage: {@code TaskCallerApp <address> <port>}.
 */
public final class TaskCallerApp {
  private static final HttpClient DEFAULT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private static final HttpClient HTTP1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3)).build();

  private TaskCallerApp() {}

  public static void main(String[] args) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/call", TaskCallerApp::handle);
    server.createContext("/race", TaskCallerApp::race);
    server.createContext("/handoffs", TaskCallerApp::handoffs);
    // a test may drive every client at once (each waiting out the same injected delay)
    server.setExecutor(Executors.newFixedThreadPool(16));
    server.start();
    System.out.println("task caller listening on " + server.getAddress());
  }

  private static void handle(HttpExchange ex) throws IOException {
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    String url = first(q, "url", null);
    String client = first(q, "client", "jdk");
    int n = Integer.parseInt(first(q, "n", "1"));
    int concurrency = Math.max(1, Integer.parseInt(first(q, "concurrency", "1")));
    long timeoutMs = Long.parseLong(first(q, "timeoutMs", "20000"));
    String method = first(q, "method", "GET");
    byte[] body = new byte[Integer.parseInt(first(q, "bodyBytes", "0"))];
    java.util.Arrays.fill(body, (byte) 'x');
    List<String[]> headers = new ArrayList<>();
    for (String h : q.getOrDefault("h", List.of())) {
      int colon = h.indexOf(':');
      headers.add(new String[] {h.substring(0, colon).trim(), h.substring(colon + 1).trim()});
    }
    List<Map<String, String>> results = new ArrayList<>();
    long pauseMs = Long.parseLong(first(q, "pauseMs", "0"));
    if (concurrency == 1) {
      for (int i = 0; i < n; i++) {
        if (i > 0 && pauseMs > 0) {
          try {
            Thread.sleep(pauseMs);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        results.add(call(url, client, method, body, headers, timeoutMs));
      }
    } else {
      List<Future<Map<String, String>>> running = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(concurrency);
      for (int i = 0; i < n; i++) {
        running.add(pool.submit(() -> call(url, client, method, body, headers, timeoutMs)));
      }
      for (Future<Map<String, String>> f : running) {
        try {
          results.add(f.get(timeoutMs + 30_000, TimeUnit.MILLISECONDS));
        } catch (Exception e) {
          results.add(Map.of("status", "0", "error", "caller: " + e));
        }
      }
      pool.shutdownNow();
    }
    Map<String, Integer> statuses = new TreeMap<>();
    StringBuilder list = new StringBuilder("[");
    for (Map<String, String> r : results) {
      statuses.merge(r.get("status"), 1, Integer::sum);
      list.append(list.length() > 1 ? "," : "").append(toJson(r));
    }
    String json = "{\"statuses\":" + toJson(statuses) + ",\"results\":" + list.append(']') + "}";
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  /**
   * {@code GET /race?slow=U1&fast=U2&client=jdk-async|jdk-http1-async&h=name:value...}: sends U1
   * (with the headers) and then U2 on the same client with sendAsync, and answers which completed
   * first: {@code {"first":"fast"|"slow", "slowStatus":.., "fastStatus":..}}.
   */
  private static void race(HttpExchange ex) throws IOException {
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    HttpClient http = first(q, "client", "jdk-async").startsWith("jdk-http1") ? HTTP1 : DEFAULT;
    HttpRequest.Builder slow = HttpRequest.newBuilder(URI.create(first(q, "slow", null))).timeout(Duration.ofSeconds(30));
    for (String h : q.getOrDefault("h", List.of())) {
      int colon = h.indexOf(':');
      slow.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
    }
    List<String> finished = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.CompletableFuture<HttpResponse<Void>> s =
        http.sendAsync(slow.build(), HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> finished.add("slow"));
    java.util.concurrent.CompletableFuture<HttpResponse<Void>> f =
        http.sendAsync(HttpRequest.newBuilder(URI.create(first(q, "fast", null))).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding())
            .whenComplete((r, e) -> finished.add("fast"));
    String json;
    try {
      int fastStatus = f.get(40, TimeUnit.SECONDS).statusCode();
      int slowStatus = s.get(40, TimeUnit.SECONDS).statusCode();
      json = "{\"first\":\"" + finished.get(0) + "\",\"slowStatus\":\"" + slowStatus + "\",\"fastStatus\":\"" + fastStatus + "\"}";
    } catch (Exception e) {
      json = "{\"first\":\"\",\"error\":\"" + esc(e.toString()) + "\"}";
    }
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  /**
   * {@code GET /handoffs?url=U&n=N}: N sequential {@code send}s of U with {@code BodyHandlers.ofString()}
   * on a new HTTP/1.1 client whose executor counts the tasks the client hands it; answers
   * {@code {"tasks":T,"statuses":{..}}}. The client hands its executor the work it cannot do on the
   * connection's own thread, so the same N calls made with and without the mesh should cost the same
   * number of hand-offs.
   */
  private static void handoffs(HttpExchange ex) throws IOException {
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    int n = Integer.parseInt(first(q, "n", "20"));
    java.util.concurrent.atomic.AtomicInteger tasks = new java.util.concurrent.atomic.AtomicInteger();
    ExecutorService pool = Executors.newCachedThreadPool();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3))
        .executor(task -> {
          tasks.incrementAndGet();
          pool.execute(task);
        })
        .build();
    Map<String, Integer> statuses = new TreeMap<>();
    try {
      for (int i = 0; i < n; i++) {
        int status;
        try {
          status = client.send(HttpRequest.newBuilder(URI.create(first(q, "url", null))).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (Exception e) {
          status = 0;
        }
        statuses.merge(String.valueOf(status), 1, Integer::sum);
      }
    } finally {
      pool.shutdown();
    }
    byte[] b = ("{\"tasks\":" + tasks.get() + ",\"statuses\":" + toJson(statuses) + "}").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  /** One call as the application makes it; never throws (also the matrix caller's, apps/matrix). */
  public static Map<String, String> call(String url, String client, String method, byte[] requestBody, List<String[]> headers, long timeoutMs) {
    Map<String, String> r = new LinkedHashMap<>();
    try {
      int status;
      String body;
      String reason;
      String setCookie = null;
      switch (client) {
        case "huc" -> {
          HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
          c.setConnectTimeout(3000);
          c.setReadTimeout((int) timeoutMs);
          for (String[] h : headers) {
            c.setRequestProperty(h[0], h[1]);
          }
          c.setRequestMethod(method);
          if (requestBody.length > 0) {
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(requestBody.length);
            c.getOutputStream().write(requestBody);
          }
          status = c.getResponseCode();
          reason = c.getHeaderField("x-inmesh-reason");
          setCookie = c.getHeaderField("Set-Cookie");
          InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
          body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
          if (in != null) {
            in.close();
          }
        }
        case "jdk", "jdk-async", "jdk-http1", "jdk-http1-async" -> {
          HttpClient http = client.startsWith("jdk-http1") ? HTTP1 : DEFAULT;
          HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(timeoutMs));
          for (String[] h : headers) {
            b.header(h[0], h[1]);
          }
          b.method(method, requestBody.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(requestBody));
          HttpResponse<String> resp;
          if (client.endsWith("-async")) {
            try {
              resp = http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).get(timeoutMs + 30_000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
              throw e.getCause() instanceof Exception cause ? cause : e;
            }
          } else {
            resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
          }
          status = resp.statusCode();
          reason = resp.headers().firstValue("x-inmesh-reason").orElse(null);
          setCookie = resp.headers().firstValue("set-cookie").orElse(null);
          body = resp.body();
        }
        case "okhttp4", "okhttp4-async", "okhttp5", "okhttp5-async" -> {
          String[] o = OkHttpCalls.call(client, url, method, requestBody, headers, timeoutMs, r);
          status = Integer.parseInt(o[0]);
          reason = o[1];
          body = o[2];
        }
        case "apache5", "apache5-async", "apache5-resttemplate", "apache4" -> { String[] a = ApacheCalls.call(client, url, method, requestBody, headers, timeoutMs); status = Integer.parseInt(a[0]); reason = a[1]; body = a[2]; }
        case "jetty" -> { String[] a = JettyCalls.call(url, method, requestBody, headers, timeoutMs); status = Integer.parseInt(a[0]); reason = a[1]; body = a[2]; }
        case "feign" -> { String[] a = FeignCalls.call(url, method, requestBody, headers, timeoutMs); status = Integer.parseInt(a[0]); reason = a[1]; body = a[2]; }
        case "webclient", "reactor-netty", "restclient" -> { String[] a = ReactorCalls.call(client, url, method, requestBody, headers, timeoutMs); status = Integer.parseInt(a[0]); reason = a[1]; body = a[2]; }
        default -> throw new IllegalArgumentException("unknown client " + client);
      }
      r.put("status", String.valueOf(status));
      r.put("reason", reason == null ? "" : reason);
      r.put("setCookie", setCookie == null ? "" : setCookie);
      for (String field : new String[] {"version", "listener", "host", "method", "received", "peer", "cookie"}) {
        r.put(field, field(body, field));
      }
      r.put("body", body.length() > 300 ? body.substring(0, 300) : body);
    } catch (Exception e) {
      r.put("status", "0");
      r.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return r;
  }
}
