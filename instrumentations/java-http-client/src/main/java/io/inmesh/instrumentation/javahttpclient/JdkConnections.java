package io.inmesh.instrumentation.javahttpclient;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.ConnectionUse;
import io.inmesh.bootstrap.Mesh;
import java.io.Closeable;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import jdk.internal.net.http.HttpRequestImpl;

/**
 * The route's connection lifetimes ({@code connectionPool.http.maxRequestsPerConnection},
 * {@code tcp.maxConnectionDuration}, {@code http.idleTimeout}/{@code tcp.idleTimeout}) on the
 * JDK client's HTTP/1.1 connections, which the client keeps alive by its own rules
 * ({@code jdk.httpclient.keepalive.timeout}: 1200 s on Java 17, 30 s on Java 25; no request
 * limit). The client has no setting per destination, so the adapter does what Envoy does on its
 * upstream connections:
 *
 * <ul>
 *   <li>{@code HttpConnection.getConnection(addr, client, request, version)} — where an exchange
 *       takes a pooled or new connection for a request — counts the request on the connection
 *       (with the limits of the request's attempt);
 *   <li>{@code HttpConnection.closeOrReturnToCache(headers)} — where the client keeps a connection
 *       alive once a response is read — closes it instead once it served
 *       {@code maxRequestsPerConnection} requests or lived {@code maxConnectionDuration} (the
 *       client's own path for a response without keep-alive);
 *   <li>{@code ConnectionPool.returnToPool(conn, now, keepAlive)} caps the client's keep-alive by
 *       the idle timeout and what is left of the duration, so the client's own pool closes it;
 *       {@code ConnectionPool.getConnection} drops a pooled connection that outlived either
 *       anyway (the pool's purge runs on its selector's schedule and in whole seconds), and the
 *       client opens a new one.
 * </ul>
 *
 * HTTP/2 connections (h2c after an upgrade) are not in that pool; their streams are not counted.
 * The connection classes are package-private in {@code jdk.internal.net.http}, hence a weak map
 * keyed by identity-less {@code Object} rather than a virtual field (they do not override
 * {@code equals}/{@code hashCode}).
 */
public final class JdkConnections {
  private static final Map<Object, ConnectionUse> USES = Collections.synchronizedMap(new WeakHashMap<>());
  /**
   * Set when a route with connection limits first puts a connection in {@link #USES}: until then
   * the map is empty and the four per-request look-ups (each a lock and a sweep of the weak map's
   * queue) are skipped (issue 13: the per-request cost of routes that set no limits).
   */
  private static volatile boolean tracking;

  private JdkConnections() {}

  /** An exchange of {@code request} got {@code connection} (pooled or new). */
  public static void obtained(Object connection, HttpRequestImpl request) {
    try {
      if (connection == null || request == null) {
        return;
      }
      Attempt attempt = RequestAttempts.attempt(request);
      if (!tracking && (attempt == null
          || (attempt.maxRequestsPerConnection() == 0 && attempt.maxConnectionDurationNanos() == 0 && attempt.connectionIdleTimeoutNanos() == 0))) {
        return; // no connection is limited, and this attempt sets no limit: nothing to count
      }
      ConnectionUse use = USES.get(connection);
      if (attempt == null) {
        if (use != null) {
          use.request(null); // a call the mesh leaves alone, on a connection it limits: still a request
        }
        return;
      }
      if (use == null) {
        if (attempt.maxRequestsPerConnection() == 0 && attempt.maxConnectionDurationNanos() == 0 && attempt.connectionIdleTimeoutNanos() == 0) {
          return; // nothing to enforce: no state kept
        }
        use = new ConnectionUse(System.nanoTime());
        tracking = true;
        USES.put(connection, use);
      }
      use.request(attempt);
    } catch (Throwable t) {
      Mesh.failed("java-http-client", t);
    }
  }

  /**
   * The client is about to keep {@code connection} alive after a response ({@code headers}; null
   * when it closes it anyway): returns true after closing it when the route's limits say so.
   */
  public static boolean closeInsteadOfKeepingAlive(Object connection, Object headers) {
    if (headers == null || !tracking) {
      return false;
    }
    try {
      ConnectionUse use = USES.get(connection);
      if (use != null && use.retireAfterRequest(System.nanoTime())) {
        USES.remove(connection);
        ((Closeable) connection).close();
        return true;
      }
    } catch (Throwable t) {
      Mesh.failed("java-http-client", t);
    }
    return false;
  }

  /** The connect timeout for an exchange of {@code request}: the attempt's (tcp.connectTimeout) when shorter than the client's. */
  public static java.util.Optional<java.time.Duration> connectTimeout(HttpRequestImpl request, java.util.Optional<java.time.Duration> client) {
    try {
      Attempt attempt = request == null ? null : RequestAttempts.attempt(request);
      int mesh = attempt == null ? 0 : attempt.connectTimeoutMillis();
      if (mesh <= 0) {
        return client;
      }
      java.time.Duration d = java.time.Duration.ofMillis(mesh);
      return client != null && client.isPresent() && client.get().compareTo(d) <= 0 ? client : java.util.Optional.of(d);
    } catch (Throwable t) {
      Mesh.failed("java-http-client", t);
      return client;
    }
  }

  /** {@code connection} goes back to the client's pool for {@code keepAliveSeconds}: returns the keep-alive to use. */
  public static long returning(Object connection, long keepAliveSeconds) {
    if (!tracking) {
      return keepAliveSeconds;
    }
    try {
      ConnectionUse use = USES.get(connection);
      if (use == null) {
        return keepAliveSeconds;
      }
      long now = System.nanoTime();
      use.idle(now);
      return use.keepAliveSeconds(keepAliveSeconds, now);
    } catch (Throwable t) {
      Mesh.failed("java-http-client", t);
      return keepAliveSeconds;
    }
  }

  /** The pool found {@code connection}: returns it, or null (after closing it) when it outlived the route's limits. */
  public static Object pooled(Object connection) {
    if (connection == null || !tracking) {
      return connection;
    }
    try {
      ConnectionUse use = USES.get(connection);
      if (use != null && use.expired(System.nanoTime())) {
        USES.remove(connection);
        ((Closeable) connection).close();
        return null;
      }
    } catch (Throwable t) {
      Mesh.failed("java-http-client", t);
    }
    return connection;
  }
}
