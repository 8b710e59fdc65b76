package io.inmesh.control.api;

import com.sun.net.httpserver.HttpServer;
import io.inmesh.control.DaemonThreads;
import io.inmesh.control.EventLog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP server, its routing table and its admission. Paths match exactly (the JDK server
 * matches contexts by prefix, which would answer {@code /v1/snapshots} as {@code /v1/snapshot}),
 * so one root context routes, and unknown paths and methods get a JSON 404/405 that lists what
 * exists.
 *
 * <p>Handlers run on a small fixed pool: nothing a handler does blocks for long, because held
 * long-polls are {@linkplain HttpCall#detach() detached} and cost no thread. Past {@code capacity}
 * calls in progress (held polls included: each is an open connection, a file), a call is shed at
 * once with 503 and a jittered {@code Retry-After}, so that an overloaded control plane answers
 * quickly instead of queueing without bound. {@code GET /healthz} is never shed.
 */
public final class ApiServer implements AutoCloseable {

  /** Handler threads: enough to overlap a slow disk write (policy) with quick calls. */
  static final int HANDLER_THREADS = 4;
  /** Shed calls are told to come back after 1..this many seconds, spread so they don't return in step. */
  static final int MAX_RETRY_AFTER_SECONDS = 5;

  private final Map<String, Map<String, Handler>> routes = new LinkedHashMap<>();
  private final EventLog log;
  private final int capacity;
  private final AtomicInteger inProgress = new AtomicInteger();
  private final AtomicLong shed = new AtomicLong();
  private volatile java.util.function.Consumer<HttpCall> onShed = call -> {};
  private NioHttpServer server;
  private ExecutorService executor;
  private HttpServer tlsServer;
  private boolean plainLoopback;
  private AccessGuard guard = AccessGuard.OPEN;

  public ApiServer(EventLog log, int capacity) {
    this.log = log;
    this.capacity = capacity;
  }

  /**
   * Told of every shed call before it is answered, so that an agent whose heartbeat or poll was
   * shed still counts as alive: shedding must never expire the fleet it protects.
   */
  public void onShed(java.util.function.Consumer<HttpCall> listener) {
    this.onShed = listener;
  }

  public ApiServer route(String method, String path, Handler handler) {
    routes.computeIfAbsent(path, p -> new LinkedHashMap<>()).put(method, handler);
    return this;
  }

  /** Checks who may call what before any handler runs (identities, admin credential). */
  public ApiServer guard(AccessGuard g) {
    this.guard = g;
    return this;
  }

  /**
   * The same API over TLS ({@code --listen-tls}); client certificates are asked for, not required,
   * because an agent's first call (its CSR) proves itself with the join token instead.
   */
  public InetSocketAddress startTls(String host, int port, javax.net.ssl.SSLContext context) throws IOException {
    com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress(host, port), 512);
    https.setHttpsConfigurator(
        new com.sun.net.httpserver.HttpsConfigurator(context) {
          @Override
          public void configure(com.sun.net.httpserver.HttpsParameters params) {
            javax.net.ssl.SSLParameters p = context.getDefaultSSLParameters();
            p.setWantClientAuth(true);
            p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            params.setSSLParameters(p);
          }
        });
    ensureExecutor(); // both listeners share the handler pool and its admission
    https.setExecutor(executor);
    https.createContext("/", exchange -> dispatch(new JdkExchange(exchange), false));
    https.start();
    tlsServer = https;
    return https.getAddress();
  }

  public InetSocketAddress start(String host, int port) throws IOException {
    ensureExecutor();
    // the plain listener (what agents on the host or cluster network poll) is the NIO server: a
    // held poll costs ~1 KB and no thread, and connections are kept alive; see NioHttpServer
    server = new NioHttpServer(new InetSocketAddress(host, port), 4096, executor, exchange -> dispatch(exchange, plainLoopback));
    InetSocketAddress bound = server.address();
    plainLoopback = bound.getAddress().isLoopbackAddress();
    server.start();
    return bound;
  }

  private void ensureExecutor() {
    if (executor == null) {
      // requests wait for a handler in a bounded queue: past it the server closes the connection at
      // once (the agent backs off). It must hold the polls a republish brings back at once: every
      // agent answered comes back with its next poll on the same kept connection (already an open
      // file), and a twentieth of the capacity (800) closed ~700 of them in a 3,000-agent ramp-up
      // (bench/results/scale-2026-12-01), each a failed poll and a backoff
      executor =
          new ThreadPoolExecutor(
              HANDLER_THREADS, HANDLER_THREADS, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(waitingLimit(capacity)),
              DaemonThreads.named("inmesh-api-"));
    }
  }

  /** Requests that may wait for a handler: a quarter of the capacity, at least 100. */
  static int waitingLimit(int capacity) {
    return Math.max(100, capacity / 4);
  }

  /** Runs a task on the handler pool (answers to held polls fan out here); throws RejectedExecutionException when full. */
  public void execute(Runnable task) {
    executor.execute(task);
  }

  public int capacity() {
    return capacity;
  }

  public int inProgress() {
    return inProgress.get();
  }

  public long shed() {
    return shed.get();
  }

  /** Answers 503 with a jittered Retry-After: the caller keeps what it has and comes back later. */
  public void shed(HttpCall call, String why) throws IOException {
    shed.incrementAndGet();
    try {
      onShed.accept(call);
    } catch (RuntimeException e) {
      // a malformed shed call: it still gets its 503
    }
    call.header("Retry-After", Integer.toString(1 + ThreadLocalRandom.current().nextInt(MAX_RETRY_AFTER_SECONDS)));
    call.error(503, "control plane over capacity: " + why, "keep the snapshot you have and retry after Retry-After seconds");
  }

  @Override
  public void close() {
    if (tlsServer != null) {
      tlsServer.stop(0);
    }
    if (server != null) {
      server.close();
    }
    if (executor != null) {
      executor.shutdown();
      try {
        executor.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      executor.shutdownNow();
    }
  }

  void dispatch(Exchange exchange, boolean plainLoopbackListener) {
    inProgress.incrementAndGet();
    HttpCall call = new HttpCall(exchange, inProgress::decrementAndGet, plainLoopbackListener);
    try {
      String path = exchange.uri().getPath();
      if (!"/healthz".equals(path) && inProgress.get() > capacity) {
        shed(call, inProgress.get() - 1 + " calls in progress, capacity " + capacity);
        return;
      }
      Map<String, Handler> byMethod = routes.get(path);
      if (byMethod == null) {
        call.error(404, "no such path: " + path, "the API has " + new TreeSet<>(routes.keySet()));
        return;
      }
      Handler h = byMethod.get(exchange.method());
      if (h == null) {
        exchange.responseHeader("Allow", String.join(", ", byMethod.keySet()));
        call.error(
            405,
            exchange.method() + " is not allowed on " + call.path(),
            "use " + String.join(" or ", byMethod.keySet()));
        return;
      }
      try {
        guard.check(call);
        h.handle(call);
      } catch (ApiException e) {
        call.error(e.status(), e.getMessage(), e.hint());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        call.error(503, "control plane is shutting down", "retry against the restarted control plane");
      } catch (RuntimeException e) {
        log.info("internal error on " + exchange.method() + " " + call.path() + ": " + e);
        call.error(500, "internal error: " + e, "this is a control plane bug; the log has the request");
      }
    } catch (IOException e) {
      // the client went away (e.g. gave up on a long-poll): nothing to answer
    } finally {
      if (!call.detached()) {
        call.finish();
      }
    }
  }
}
