package io.inmesh.smoke.apps.tasks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The upstream of Istio's task pages, in the role of Bookinfo's {@code reviews}: an ordinary JDK
 * HttpServer app (no inmesh code) that says who answered ({@code APP_VERSION}, the listener) and
 * what it received. Service paths:
 *
 * <ul>
 *   <li>{@code /slow?ms=N}: answers after N ms;
 *   <li>{@code /slowbody?ms=N}: status, headers and the first body byte at once, the rest of the
 *       body N ms later;
 *   <li>{@code /flaky?key=K&failures=F&status=S}: answers S (default 500) to the first F requests
 *       with key K it serves, 200 after;
 *   <li>anything else: answers at once.
 * </ul>
 *
 * Every answer is JSON naming the version, listener, Host header, path, method, how many body
 * bytes arrived, the client connection it came on ({@code peer}: address and port) and its Cookie
 * header.
 *
 * The test reads and steers it on {@code /control/...}, called directly by address (never through
 * a mesh client): {@code count[?key=K]} (requests served, or with key K), {@code hosts} (Host
 * headers seen, counted), {@code inbody} (slowbody responses between their headers and the end
 * of their body), {@code reset}, {@code fail?status=S} (answer S to every service request;
 * 0 turns it off).
 *
 * <p>Usage: {@code TaskBackendApp <address> <port>}.
 */
public final class TaskBackendApp {
  private static final AtomicInteger SERVED = new AtomicInteger();
  /** /slowbody responses whose headers went out and whose body has not finished. */
  private static final AtomicInteger IN_BODY = new AtomicInteger();
  private static final Map<String, AtomicInteger> BY_KEY = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> BY_HOST = new ConcurrentHashMap<>();
  private static volatile int failWith;

  private TaskBackendApp() {}

  public static void main(String[] args) throws IOException {
    String version = System.getenv().getOrDefault("APP_VERSION", "v1");
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 128);
    server.createContext("/control/", TaskBackendApp::control);
    server.createContext("/", ex -> serve(ex, version));
    // concurrent slow requests (circuit breaking, timeouts) must not queue behind each other here
    server.setExecutor(Executors.newFixedThreadPool(32));
    server.start();
    System.out.println("task backend " + version + " listening on " + server.getAddress());
  }

  private static void serve(HttpExchange ex, String version) throws IOException {
    if (ex.getRequestURI().getPath().startsWith("/slowbody")) {
      slowBody(ex);
      return;
    }
    SERVED.incrementAndGet();
    int received = ex.getRequestBody().readAllBytes().length;
    String host = ex.getRequestHeaders().getFirst("Host");
    BY_HOST.computeIfAbsent(String.valueOf(host), h -> new AtomicInteger()).incrementAndGet();
    Map<String, String> q = query(ex);
    String path = ex.getRequestURI().getPath();
    int status = 200;
    if (failWith > 0) {
      status = failWith;
    } else if (path.startsWith("/slow")) {
      sleep(Long.parseLong(q.getOrDefault("ms", "0")));
    } else if (path.startsWith("/flaky")) {
      int n = BY_KEY.computeIfAbsent(q.getOrDefault("key", ""), k -> new AtomicInteger()).incrementAndGet();
      if (n <= Integer.parseInt(q.getOrDefault("failures", "1"))) {
        status = Integer.parseInt(q.getOrDefault("status", "500"));
      }
    }
    String json =
        "{\"version\":\"" + version + "\",\"listener\":\"" + ex.getLocalAddress().getAddress().getHostAddress() + ":" + ex.getLocalAddress().getPort()
            + "\",\"host\":\"" + host + "\",\"path\":\"" + ex.getRequestURI() + "\",\"method\":\"" + ex.getRequestMethod()
            + "\",\"received\":\"" + received + "\",\"status\":\"" + status
            + "\",\"peer\":\"" + ex.getRemoteAddress().getAddress().getHostAddress() + ":" + ex.getRemoteAddress().getPort()
            + "\",\"cookie\":\"" + String.valueOf(ex.getRequestHeaders().getFirst("Cookie")).replace("\"", "'") + "\"}";
    answer(ex, status, json);
  }

  /** Status and headers at once, then the first body byte, then the rest after {@code ms}. */
  private static void slowBody(HttpExchange ex) throws IOException {
    SERVED.incrementAndGet();
    ex.getRequestBody().readAllBytes();
    ex.getResponseHeaders().add("Content-Type", "application/json");
    byte[] b = "{\"slow\":\"body\"}".getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b, 0, 1);
    ex.getResponseBody().flush();
    IN_BODY.incrementAndGet();
    try {
      sleep(Long.parseLong(query(ex).getOrDefault("ms", "0")));
      ex.getResponseBody().write(b, 1, b.length - 1);
    } finally {
      IN_BODY.decrementAndGet();
      ex.close();
    }
  }

  private static void control(HttpExchange ex) throws IOException {
    String what = ex.getRequestURI().getPath().substring("/control/".length());
    Map<String, String> q = query(ex);
    switch (what) {
      case "count" -> {
        String key = q.get("key");
        int n = key == null ? SERVED.get() : BY_KEY.getOrDefault(key, new AtomicInteger()).get();
        answer(ex, 200, String.valueOf(n));
      }
      case "hosts" -> {
        StringBuilder sb = new StringBuilder("{");
        new TreeMap<>(BY_HOST).forEach((h, n) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(h).append("\":").append(n.get()));
        answer(ex, 200, sb.append('}').toString());
      }
      case "inbody" -> answer(ex, 200, String.valueOf(IN_BODY.get()));
      case "reset" -> {
        SERVED.set(0);
        BY_KEY.clear();
        BY_HOST.clear();
        failWith = 0;
        answer(ex, 200, "reset");
      }
      case "fail" -> {
        failWith = Integer.parseInt(q.getOrDefault("status", "0"));
        answer(ex, 200, String.valueOf(failWith));
      }
      default -> answer(ex, 404, "unknown control " + what);
    }
  }

  private static void answer(HttpExchange ex, int status, String body) throws IOException {
    ex.getRequestBody().readAllBytes();
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", body.startsWith("{") ? "application/json" : "text/plain");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> m = new HashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
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

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
