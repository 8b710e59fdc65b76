package io.inmesh.smoke.apps.mtls;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A plain application (no inmesh code) that keeps calling one URL, for as long as it is told and
 * never longer than its bounds: half its threads with {@code HttpURLConnection} and
 * {@code Connection: close} (a new connection per call), half with one JDK {@code HttpClient}
 * (kept-alive connections). It counts every call and its outcome, and remembers the distinct
 * {@code Hash=} values of the {@code X-Forwarded-Client-Cert} an {@code EchoBackendApp} echoes back
 * (which client certificate each call arrived with).
 *
 * <p>{@code /start?url=U&threads=T&pauseMillis=P&max=N&seconds=S} starts a run;
 * {@code /stop} ends it (waiting for calls in flight) and answers {@code total=}, {@code ok=},
 * {@code failed=}, {@code hashes=} (comma-separated, in order of first sight) and the first errors;
 * {@code /burst?url=U&n=N} makes N calls one after another, each on a new connection, and answers the
 * same counts.
 *
 * <p>Usage: {@code RotationLoadApp <address> <port>}.
 */
public final class RotationLoadApp {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
  private static final Object LOCK = new Object();
  private static Run current;

  private RotationLoadApp() {}

  public static void main(String[] args) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/start", RotationLoadApp::start);
    server.createContext("/stop", RotationLoadApp::stop);
    server.createContext("/burst", RotationLoadApp::burst);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("rotation load app listening on " + server.getAddress());
  }

  /** One run's counts. */
  static final class Run {
    final String url;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong total = new AtomicLong();
    final AtomicLong ok = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final Set<String> hashes = new LinkedHashSet<>();
    final List<String> errors = new ArrayList<>();
    final List<Thread> threads = new ArrayList<>();

    Run(String url) {
      this.url = url;
    }

    void one(boolean newConnection) {
      total.incrementAndGet();
      String body;
      int status;
      try {
        if (newConnection) {
          HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
          c.setConnectTimeout(30_000);
          c.setReadTimeout(30_000);
          c.setRequestProperty("Connection", "close");
          status = c.getResponseCode();
          InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
          body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } else {
          HttpResponse<String> r = CLIENT.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
          status = r.statusCode();
          body = r.body();
        }
      } catch (Exception e) {
        failed(e.toString());
        return;
      }
      if (status != 200 || !body.contains("service=")) {
        failed("status " + status + ": " + body.replace('\n', ' '));
        return;
      }
      ok.incrementAndGet();
      int at = body.indexOf("Hash=");
      if (at >= 0) {
        int end = body.indexOf(';', at);
        String hash = body.substring(at + 5, end < 0 ? body.length() : end);
        synchronized (hashes) {
          hashes.add(hash);
        }
      }
    }

    void failed(String why) {
      failed.incrementAndGet();
      synchronized (errors) {
        if (errors.size() < 5) {
          errors.add(why);
        }
      }
    }

    String report() {
      StringBuilder sb = new StringBuilder();
      sb.append("total=").append(total.get()).append('\n');
      sb.append("ok=").append(ok.get()).append('\n');
      sb.append("failed=").append(failed.get()).append('\n');
      synchronized (hashes) {
        sb.append("hashes=").append(String.join(",", hashes)).append('\n');
      }
      synchronized (errors) {
        for (String e : errors) {
          sb.append("error=").append(e).append('\n');
        }
      }
      return sb.toString();
    }
  }

  private static void start(HttpExchange ex) throws IOException {
    Map<String, String> q = query(ex);
    int threads = Integer.parseInt(q.getOrDefault("threads", "4"));
    long pause = Long.parseLong(q.getOrDefault("pauseMillis", "50"));
    long max = Long.parseLong(q.getOrDefault("max", "10000"));
    long seconds = Long.parseLong(q.getOrDefault("seconds", "60"));
    Run run = new Run(q.get("url"));
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    for (int i = 0; i < threads; i++) {
      boolean newConnections = i % 2 == 0;
      Thread t = new Thread(() -> {
        while (!run.stop.get() && run.total.get() < max && System.nanoTime() < deadline) {
          run.one(newConnections);
          try {
            Thread.sleep(pause);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "load-" + i);
      t.setDaemon(true);
      run.threads.add(t);
    }
    synchronized (LOCK) {
      if (current != null) {
        current.stop.set(true);
      }
      current = run;
    }
    run.threads.forEach(Thread::start);
    answer(ex, "started\n");
  }

  private static void stop(HttpExchange ex) throws IOException {
    Run run;
    synchronized (LOCK) {
      run = current;
      current = null;
    }
    if (run == null) {
      answer(ex, "not running\n");
      return;
    }
    run.stop.set(true);
    long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos(); // calls in flight finish (each bounded by 30 s)
    for (Thread t : run.threads) {
      try {
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    answer(ex, run.report());
  }

  private static void burst(HttpExchange ex) throws IOException {
    Map<String, String> q = query(ex);
    int n = Math.min(200, Integer.parseInt(q.getOrDefault("n", "10")));
    Run run = new Run(q.get("url"));
    for (int i = 0; i < n; i++) {
      run.one(true);
    }
    answer(ex, run.report());
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> q = new HashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String kv : raw.split("&")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          q.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return q;
  }

  private static void answer(HttpExchange ex, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(200, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }
}
