package io.inmesh.smoke.apps.jetty;

import static io.inmesh.smoke.apps.AppText.field;
import static io.inmesh.smoke.apps.AppText.first;
import static io.inmesh.smoke.apps.AppText.query;
import static io.inmesh.smoke.apps.AppText.toJson;
import static io.inmesh.smoke.apps.AppText.esc;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Result;

/**
 * A plain application (no inmesh code) that calls URLs with Jetty 12's {@code HttpClient} as most
 * code does: one client, started once; {@code newRequest(url).timeout(T).send()} ({@code jetty}) or
 * {@code send(listener)} with a {@code BufferingResponseListener} ({@code jetty-async}); and, beside
 * it, the JDK's default {@code HttpClient} ({@code jdk}).
 *
 * <p>{@code GET /call?url=U&client=C&n=N&timeoutMs=T&h=name:value...[&method=M&bodyBytes=B]}:
 * N sequential calls; answers {@code {"statuses":{..},"results":[{status, reason, version,
 * listener, host, requestHost, body, error}..]}} (status 0: the call failed, {@code error} says how;
 * {@code requestHost}: the host of the request the application's listener got back).
 *
 * <p>{@code GET /race?first=U1&second=U2}: sends U1 and then U2 with {@code send(listener)} and says
 * which completed first, and whether {@code send} returned before either completed.
 *
 * <p>Usage: {@code JettyCallerApp <address> <port>}.
 */
public final class JettyCallerApp {
  private static final HttpClient CLIENT = new HttpClient();
  private static final java.net.http.HttpClient JDK = java.net.http.HttpClient.newHttpClient();

  private JettyCallerApp() {}

  public static void main(String[] args) throws Exception {
    startClient();
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/call", JettyCallerApp::handle);
    server.createContext("/race", JettyCallerApp::race);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    System.out.println("jetty caller listening on " + server.getAddress() + " (Jetty HttpClient " + HttpClient.class.getPackage().getImplementationVersion() + ")");
  }

  /** Starts the one Jetty client, as the application does once at start-up (also the matrix caller's, apps/matrix). */
  public static void startClient() throws Exception {
    CLIENT.setConnectTimeout(3000);
    CLIENT.start();
  }

  private static void handle(HttpExchange ex) throws IOException {
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    String url = first(q, "url", null);
    String client = first(q, "client", "jetty");
    int n = Integer.parseInt(first(q, "n", "1"));
    long timeoutMs = Long.parseLong(first(q, "timeoutMs", "20000"));
    String method = first(q, "method", "GET");
    byte[] body = new byte[Integer.parseInt(first(q, "bodyBytes", "0"))];
    java.util.Arrays.fill(body, (byte) 'x');
    List<String[]> headers = new ArrayList<>();
    for (String h : q.getOrDefault("h", List.of())) {
      int colon = h.indexOf(':');
      headers.add(new String[] {h.substring(0, colon).trim(), h.substring(colon + 1).trim()});
    }
    Map<String, Integer> statuses = new TreeMap<>();
    StringBuilder list = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      Map<String, String> r = call(url, client, method, body, headers, timeoutMs);
      statuses.merge(r.get("status"), 1, Integer::sum);
      list.append(list.length() > 1 ? "," : "").append(toJson(r));
    }
    answer(ex, "{\"statuses\":" + toJson(statuses) + ",\"results\":" + list.append(']') + "}");
  }

  /** One call as the application makes it; never throws. */
  public static Map<String, String> call(String url, String client, String method, byte[] body, List<String[]> headers, long timeoutMs) {
    Map<String, String> r = new LinkedHashMap<>();
    try {
      Request req = CLIENT.newRequest(url).method(method).timeout(timeoutMs, TimeUnit.MILLISECONDS);
      for (String[] h : headers) {
        req.headers(f -> f.add(h[0], h[1]));
      }
      if (body.length > 0) {
        req.body(new BytesRequestContent("application/octet-stream", body));
      }
      int status;
      String reason;
      String content;
      String requestHost;
      if (client.equals("jetty")) {
        ContentResponse resp = req.send();
        status = resp.getStatus();
        reason = resp.getHeaders().get("x-inmesh-reason");
        content = resp.getContentAsString();
        requestHost = req.getHost();
      } else if (client.equals("jetty-async")) {
        CompletableFuture<Object[]> done = new CompletableFuture<>();
        req.send(new BufferingResponseListener() {
          @Override
          public void onComplete(Result result) {
            if (result.isFailed()) {
              done.completeExceptionally(result.getFailure());
            } else {
              done.complete(new Object[] {result, getContentAsString()});
            }
          }
        });
        Object[] o;
        try {
          o = done.get(timeoutMs + 30_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
        Result result = (Result) o[0];
        status = result.getResponse().getStatus();
        reason = result.getResponse().getHeaders().get("x-inmesh-reason");
        content = (String) o[1];
        requestHost = result.getRequest().getHost();
      } else if (client.equals("jdk")) {
        // the JDK HttpClient of the same application, for a second meshed client beside Jetty's
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
            .method(method, body.length > 0 ? java.net.http.HttpRequest.BodyPublishers.ofByteArray(body) : java.net.http.HttpRequest.BodyPublishers.noBody())
            .timeout(java.time.Duration.ofMillis(timeoutMs));
        for (String[] h : headers) {
          b.header(h[0], h[1]);
        }
        java.net.http.HttpResponse<String> resp = JDK.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        status = resp.statusCode();
        reason = resp.headers().firstValue("x-inmesh-reason").orElse(null);
        content = resp.body();
        requestHost = resp.request().uri().getHost();
      } else {
        throw new IllegalArgumentException("unknown client " + client);
      }
      r.put("status", String.valueOf(status));
      r.put("reason", reason == null ? "" : reason);
      r.put("requestHost", requestHost);
      for (String field : new String[] {"version", "listener", "host", "method", "received", "xfcc", "scheme", "secure"}) {
        r.put(field, field(content, field));
      }
      r.put("body", content.length() > 300 ? content.substring(0, 300) : content);
    } catch (Exception e) {
      r.put("status", "0");
      r.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return r;
  }

  /** Two asynchronous sends on the one client: which completes first, and did send return at once. */
  private static void race(HttpExchange ex) throws IOException {
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    CompletableFuture<String> firstDone = new CompletableFuture<>();
    Map<String, String> statuses = new java.util.concurrent.ConcurrentHashMap<>();
    for (String which : List.of("first", "second")) {
      CLIENT.newRequest(first(q, which, null)).timeout(20, TimeUnit.SECONDS).send(result -> {
        statuses.put(which + "Status", result.isFailed() ? "0 " + result.getFailure() : String.valueOf(result.getResponse().getStatus()));
        firstDone.complete(which);
      });
    }
    boolean returnedBeforeAny = !firstDone.isDone();
    String done;
    try {
      done = firstDone.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      done = "none: " + e;
    }
    Map<String, String> out = new LinkedHashMap<>(statuses);
    out.put("done", done);
    out.put("sendReturnedAtOnce", String.valueOf(returnedBeforeAny));
    answer(ex, toJson(out));
  }

  private static void answer(HttpExchange ex, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }
}
