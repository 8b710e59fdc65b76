package io.inmesh.bootstrap;

import java.net.InetSocketAddress;
import java.util.function.Function;

/**
 * One attempt of an {@link OutboundCall}: one endpoint, one use of a connection, one outcome the
 * engine sees (status and headers before the body reaches the application, or the exception).
 * Retries, timeouts, outlier detection, pool limits and the access log all feed on these outcomes.
 */
public interface Attempt {

  /** The response goes to the application. */
  int DELIVER = 0;
  /** Drop this response (drain it) and start another attempt after {@link #backoffNanos()}. */
  int AGAIN = 1;
  /** Surface the failure to the application as the library would. */
  int FAIL = 2;

  /** Where this attempt connects; null means "where the application addressed the call". */
  InetSocketAddress address();

  /** True when the mesh answers this attempt itself through the agent's loopback responder. */
  boolean isLocalReply();

  /** For adapters that rewrite the request path: the responder path naming the answer. */
  String localReplyPath();

  /** For adapters that add a header: the value of {@link Mesh#LOCAL_REPLY_HEADER}. */
  String localReplyToken();

  /**
   * {@link System#nanoTime()} by which the response headers must have arrived (the smaller of the
   * per-try timeout and the route's overall timeout), or 0 for none. The application's own
   * shorter timeout still applies, through the library.
   */
  long deadlineNanos();

  /** Milliseconds left until {@link #deadlineNanos()} (at least 1), or 0 for no deadline. */
  long timeoutMillis();

  /** The library's connect timeout to use, in milliseconds (connectionPool.tcp.connectTimeout), 0: the library's own. */
  int connectTimeoutMillis();

  /**
   * The route's {@code connectionPool.http.maxRequestsPerConnection} for the connection this
   * attempt uses: after that many requests the adapter closes the connection instead of keeping it
   * alive (see {@link ConnectionUse}); 0 for no limit. (Added with issue 7's connection lifetimes;
   * a default so that existing implementations keep compiling.)
   */
  default long maxRequestsPerConnection() {
    return 0;
  }

  /**
   * The route's {@code connectionPool.tcp.maxConnectionDuration} in nanoseconds: a connection older
   * than this is closed once its request is done and never reused; 0 for no limit.
   */
  default long maxConnectionDurationNanos() {
    return 0;
  }

  /**
   * The route's connection idle timeout in nanoseconds ({@code connectionPool.http.idleTimeout}, or
   * {@code tcp.idleTimeout} when shorter): a kept-alive connection idle for longer is closed, not
   * reused; 0 for none (the library's own keep-alive applies, and a shorter one of its own always does).
   */
  default long connectionIdleTimeoutNanos() {
    return 0;
  }

  /** Status and headers arrived; returns {@link #DELIVER} or {@link #AGAIN}. */
  int onResponse(int status, Function<String, String> header);

  /**
   * The attempt failed before a response. {@code timedOut} is true when the adapter cut it off at
   * {@link #deadlineNanos()}. {@code requestSent} is true when any of the request may have reached
   * the server. Returns {@link #AGAIN} (another endpoint, or the responder with a 504) or
   * {@link #FAIL}.
   */
  int onFailure(Throwable failure, boolean timedOut, boolean requestSent);

  /** Before the next attempt, after {@link #AGAIN}. */
  long backoffNanos();

  /** The delivered response is done with (body read or closed), or the dropped one was drained. */
  void onEnd();

  /**
   * Non-null when this attempt must go out over mesh mTLS: the adapter connects to
   * {@link #address()} with it (the application's URL stays {@code http://}), and a failed handshake
   * is reported through {@link #onFailure} like any connect failure. Never falls back to plain text.
   */
  default UpstreamTls tls() {
    return null;
  }
}
