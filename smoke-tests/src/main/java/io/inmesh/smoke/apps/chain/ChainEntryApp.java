package io.inmesh.smoke.apps.chain;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A, the entry of the retry-storm chain: an ordinary service whose own code retries its call to B
 * with Resilience4j {@code Retry} — 3 attempts, on any exception or a 5xx answer — as the seed's
 * services do. {@code GET /order?retry=app} calls B under that Retry, {@code ?retry=none} once.
 * It answers 200 with B's body, or 502 when B's last answer failed. The default JDK HttpClient
 * (HTTP/2 preferred) makes the call.
 *
 * <p>Usage: {@code ChainEntryApp <address> <port> <callee URL>}.
 */
public final class ChainEntryApp {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  private ChainEntryApp() {}

  public static void main(String[] args) throws IOException {
    String callee = args[2];
    Retry retry =
        Retry.of(
            "order-to-b",
            RetryConfig.<HttpResponse<String>>custom()
                .maxAttempts(3)
                .waitDuration(Duration.ofMillis(10))
                .retryExceptions(Exception.class)
                .retryOnResult(r -> r.statusCode() >= 500)
                .build());
    ControlPath control = new ControlPath();
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    control.install(server);
    server.createContext(
        "/order",
        ex -> {
          control.served.incrementAndGet();
          String mode = ControlPath.query(ex).getOrDefault("retry", "app");
          order(ex, callee, mode, retry);
        });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("chain entry listening on " + server.getAddress() + " calling " + callee);
  }

  private static void order(HttpExchange ex, String callee, String mode, Retry retry) throws IOException {
    AtomicInteger attempts = new AtomicInteger();
    HttpResponse<String> r;
    try {
      if (mode.equals("app")) {
        r = retry.executeCallable(() -> call(callee, attempts));
      } else if (mode.equals("none")) {
        r = call(callee, attempts);
      } else {
        ControlPath.answer(ex, 400, "retry=app|none, got " + mode);
        return;
      }
    } catch (Exception e) {
      ControlPath.answer(ex, 502, "bad gateway after " + attempts.get() + " attempts: " + e);
      return;
    }
    ex.getResponseHeaders().add("x-app-attempts", String.valueOf(attempts.get()));
    ControlPath.answer(ex, r.statusCode() / 100 == 2 ? 200 : 502, r.statusCode() / 100 == 2 ? r.body() : "bad gateway: B answered " + r.statusCode() + " " + r.body());
  }

  private static HttpResponse<String> call(String callee, AtomicInteger attempts) throws IOException, InterruptedException {
    attempts.incrementAndGet();
    return CLIENT.send(HttpRequest.newBuilder(URI.create(callee)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
