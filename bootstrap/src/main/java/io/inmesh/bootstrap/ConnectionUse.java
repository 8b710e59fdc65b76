package io.inmesh.bootstrap;

/**
 * What an adapter keeps per connection of its library (in a virtual field or a weak map on the
 * library's connection object) so that the route's connection lifetimes hold whatever the
 * library's own reuse policy is (Istio DestinationRule {@code connectionPool}:
 * {@code http.maxRequestsPerConnection}, {@code tcp.maxConnectionDuration}, {@code http.idleTimeout}
 * and {@code tcp.idleTimeout}; https://istio.io/latest/docs/reference/config/networking/destination-rule/#ConnectionPoolSettings).
 *
 * <p>The adapter calls {@link #request} each time an attempt is sent on the connection, asks
 * {@link #retireAfterRequest} when the library is about to keep the connection alive after the
 * response (and closes it instead when told so, as Envoy does once a connection has served
 * {@code maxRequestsPerConnection} requests or lived {@code maxConnectionDuration}), calls
 * {@link #idle} when the connection goes back to the library's pool, and asks {@link #expired}
 * before a pooled connection is used again. The limits are those of the last attempt sent on the
 * connection (a connection is to one endpoint; the route of its last request decides).
 *
 * <p>Thread-safe; one short lock per call. Times are {@link System#nanoTime()}.
 */
public final class ConnectionUse {
  private final long opened;
  private long requests;
  private long maxRequests;
  private long maxDurationNanos;
  private long idleTimeoutNanos;
  /** When the connection last went idle; 0 while a request is on it. */
  private long idleSince;

  public ConnectionUse(long nowNanos) {
    this.opened = nowNanos;
  }

  /**
   * An attempt is sent on this connection; it takes the attempt's limits. The library pools
   * connections per endpoint, where Envoy keeps one pool per cluster (subset): when a request
   * comes under another {@code maxRequestsPerConnection} than the last one, the count starts over.
   */
  public synchronized void request(Attempt attempt) {
    if (attempt != null && attempt.maxRequestsPerConnection() != maxRequests) {
      requests = 0;
    }
    requests++;
    idleSince = 0;
    if (attempt != null) {
      maxRequests = attempt.maxRequestsPerConnection();
      maxDurationNanos = attempt.maxConnectionDurationNanos();
      idleTimeoutNanos = attempt.connectionIdleTimeoutNanos();
    }
  }

  /** Requests sent on this connection so far. */
  public synchronized long requests() {
    return requests;
  }

  /**
   * True when the connection must be closed after the response now ending instead of being kept
   * alive: it served {@code maxRequestsPerConnection} requests, or is older than
   * {@code maxConnectionDuration}.
   */
  public synchronized boolean retireAfterRequest(long nowNanos) {
    return (maxRequests > 0 && requests >= maxRequests) || (maxDurationNanos > 0 && nowNanos - opened >= maxDurationNanos);
  }

  /** The connection went back to the library's pool. */
  public synchronized void idle(long nowNanos) {
    idleSince = nowNanos == 0 ? 1 : nowNanos;
  }

  /**
   * True when a pooled connection must be closed rather than used again: idle longer than the
   * idle timeout, older than the maximum duration, or out of requests.
   */
  public synchronized boolean expired(long nowNanos) {
    if (retireAfterRequest(nowNanos)) {
      return true;
    }
    return idleTimeoutNanos > 0 && idleSince != 0 && nowNanos - idleSince >= idleTimeoutNanos;
  }

  /**
   * How long, in whole seconds (at least 1), the library may keep this connection idle in its pool:
   * its own {@code librarySeconds}, capped by the idle timeout and by what is left of the maximum
   * duration, so that the library's own pool closes it in time. {@link #expired} catches the rest
   * (the sub-second part, or a library that keeps it longer).
   */
  public synchronized long keepAliveSeconds(long librarySeconds, long nowNanos) {
    long cap = Long.MAX_VALUE;
    if (idleTimeoutNanos > 0) {
      cap = idleTimeoutNanos;
    }
    if (maxDurationNanos > 0) {
      cap = Math.min(cap, Math.max(0, maxDurationNanos - (nowNanos - opened)));
    }
    if (cap == Long.MAX_VALUE) {
      return librarySeconds;
    }
    long seconds = Math.max(1, (cap + 999_999_999L) / 1_000_000_000L);
    return librarySeconds > 0 ? Math.min(librarySeconds, seconds) : seconds;
  }
}
