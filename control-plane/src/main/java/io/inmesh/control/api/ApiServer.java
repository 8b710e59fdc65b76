package io.inmesh.control.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.inmesh.control.DaemonThreads;
import io.inmesh.control.EventLog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP server and its routing table. Paths match exactly (the JDK server matches contexts by
 * prefix, which would answer {@code /v1/snapshots} as {@code /v1/snapshot}), so one root context
 * routes, and unknown paths and methods get a JSON 404/405 that lists what exists.
 */
public final class ApiServer implements AutoCloseable {

  private final Map<String, Map<String, Handler>> routes = new LinkedHashMap<>();
  private final EventLog log;
  private HttpServer server;
  private ExecutorService executor;
  private HttpServer tlsServer;
  private boolean plainLoopback;
  private AccessGuard guard = AccessGuard.OPEN;

  public ApiServer(EventLog log) {
    this.log = log;
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
    if (executor == null) {
      executor = Executors.newCachedThreadPool(DaemonThreads.named("inmesh-api-"));
    }
    https.setExecutor(executor);
    https.createContext("/", exchange -> dispatch(exchange, false));
    https.start();
    tlsServer = https;
    return https.getAddress();
  }

  public InetSocketAddress start(String host, int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 512);
    plainLoopback = server.getAddress().getAddress().isLoopbackAddress();
    // a held long-poll occupies a thread for up to a minute: threads must grow with the agents
    if (executor == null) {
      executor = Executors.newCachedThreadPool(DaemonThreads.named("inmesh-api-"));
    }
    server.setExecutor(executor);
    server.createContext("/", exchange -> dispatch(exchange, plainLoopback));
    server.start();
    return server.getAddress();
  }

  @Override
  public void close() {
    if (tlsServer != null) {
      tlsServer.stop(0);
    }
    if (server != null) {
      server.stop(0);
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

  private void dispatch(HttpExchange exchange, boolean plainLoopbackListener) {
    try (exchange) {
      HttpCall call = new HttpCall(exchange, plainLoopbackListener);
      Map<String, Handler> byMethod = routes.get(exchange.getRequestURI().getPath());
      if (byMethod == null) {
        call.error(404, "no such path: " + exchange.getRequestURI().getPath(), "the API has " + new TreeSet<>(routes.keySet()));
        return;
      }
      Handler h = byMethod.get(exchange.getRequestMethod());
      if (h == null) {
        exchange.getResponseHeaders().set("Allow", String.join(", ", byMethod.keySet()));
        call.error(
            405,
            exchange.getRequestMethod() + " is not allowed on " + call.path(),
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
        log.info("internal error on " + exchange.getRequestMethod() + " " + call.path() + ": " + e);
        call.error(500, "internal error: " + e, "this is a control plane bug; the log has the request");
      }
    } catch (IOException e) {
      // the client went away (e.g. gave up on a long-poll): nothing to answer
    }
  }
}
