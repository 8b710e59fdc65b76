package io.inmesh.agent.retry;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import javax.net.ssl.SSLHandshakeException;

/**
 * How an attempt failed without a response, in the categories Envoy's retry conditions and
 * outlier detection distinguish (x-envoy-retry-on: connect-failure, refused-stream, reset; the
 * router's per-try timeout; local overflow).
 */
public enum FailureKind {
  /** No connection was made: nothing was sent (refused, unreachable, unknown host, connect timeout, TLS handshake). */
  CONNECT_FAILURE,
  /** HTTP/2 REFUSED_STREAM: the peer guarantees it did not process the request. */
  REFUSED_STREAM,
  /** The connection or stream broke after the request (may have) left: reset, EOF before headers. */
  RESET,
  /** The mesh's per-try deadline cut the attempt off. */
  PER_TRY_TIMEOUT,
  /** The mesh's own pool limit refused the attempt (503 UO): never retried, never an outlier signal. */
  OVERFLOW,
  /** The application (or the overall deadline) gave up on the call. */
  CANCELLED,
  /** Anything else: not a transport failure the mesh can reason about. */
  OTHER;

  private static final int MAX_CAUSE_DEPTH = 16;

  /**
   * Classifies a client library's exception, walking its causes (libraries wrap: the JDK client's
   * {@code send} rethrows a copy of the async failure, Spring wraps in ResourceAccessException).
   * The most specific category found anywhere in the chain wins over a generic IOException.
   *
   * <p>A plain {@link HttpTimeoutException} or socket read timeout is reported as
   * PER_TRY_TIMEOUT; the engine, which knows whether its own per-try deadline fired or the
   * application's shorter timeout did, treats the latter as CANCELLED.
   */
  public static FailureKind of(Throwable t) {
    FailureKind generic = OTHER;
    Throwable c = t;
    for (int depth = 0; c != null && depth < MAX_CAUSE_DEPTH; depth++) {
      FailureKind k = classifyOne(c);
      if (k != null && k != RESET) {
        return k;
      }
      if (k == RESET) {
        generic = RESET; // keep looking: a cause may say it was a connect failure
      }
      if (c.getCause() == c) {
        break;
      }
      c = c.getCause();
    }
    return generic;
  }

  private static FailureKind classifyOne(Throwable t) {
    // Order matters: HttpConnectTimeoutException extends HttpTimeoutException, SocketTimeoutException is an
    // InterruptedIOException.
    if (t instanceof HttpConnectTimeoutException
        || t instanceof ConnectException
        || t instanceof NoRouteToHostException
        || t instanceof UnknownHostException
        || t instanceof PortUnreachableException
        || t instanceof SSLHandshakeException) {
      return CONNECT_FAILURE;
    }
    if (t instanceof SocketTimeoutException) {
      String m = message(t);
      return m.contains("connect") ? CONNECT_FAILURE : PER_TRY_TIMEOUT;
    }
    if (t instanceof HttpTimeoutException) {
      return PER_TRY_TIMEOUT;
    }
    if (t instanceof CancellationException || t instanceof InterruptedException) {
      return CANCELLED;
    }
    if (t instanceof IOException) {
      String m = message(t);
      // The JDK client: "request not processed by peer" (REFUSED_STREAM, Java 17+), or
      // "Received RST_STREAM: Refused stream".
      if (m.contains("not processed by peer") || m.contains("refused stream") || m.contains("refused_stream")) {
        return REFUSED_STREAM;
      }
      if (m.equals("request cancelled")) {
        return CANCELLED;
      }
      if (t instanceof InterruptedIOException && !(t instanceof SocketTimeoutException)) {
        return CANCELLED;
      }
      // "Connection reset", "Broken pipe", EOFException, "HTTP/1.1 header parser received no
      // bytes", "Unexpected end of file from server", a closed channel: the exchange broke.
      return RESET;
    }
    return null;
  }

  private static String message(Throwable t) {
    String m = t.getMessage();
    return m == null ? "" : m.toLowerCase(Locale.ROOT);
  }
}
