package io.inmesh.agent.lifecycle;

import io.inmesh.agent.retry.FailureKind;
import io.inmesh.agent.upstream.AttemptResult;
import io.inmesh.agent.upstream.EndpointState;
import io.inmesh.agent.upstream.Permit;
import io.inmesh.agent.upstream.RetryToken;
import io.inmesh.bootstrap.Attempt;
import java.net.InetSocketAddress;
import java.util.function.Function;

/** An attempt sent to an endpoint (or, for a pass-through destination, where the app addressed it). */
final class RoutedAttempt implements Attempt {
  private final MeshCall call;
  private final EndpointState endpoint;
  private final Permit permit;
  private final RetryToken retryToken;
  private final long start;
  private final long deadline;
  private final io.inmesh.bootstrap.UpstreamTls tls;
  private AttemptResult result;
  private volatile boolean ended;
  private static final java.lang.invoke.VarHandle ENDED;

  static {
    try {
      ENDED = java.lang.invoke.MethodHandles.lookup().findVarHandle(RoutedAttempt.class, "ended", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  RoutedAttempt(MeshCall call, EndpointState endpoint, Permit permit) {
    this.call = call;
    this.endpoint = endpoint;
    this.permit = permit;
    this.retryToken = call.takeRetryToken();
    this.start = call.lifecycle().nanoTime();
    this.deadline = call.attemptDeadline();
    this.tls = endpoint == null ? null : call.tlsFor(endpoint.address());
  }

  @Override
  public io.inmesh.bootstrap.UpstreamTls tls() {
    return tls;
  }

  @Override
  public InetSocketAddress address() {
    return endpoint == null ? null : endpoint.address();
  }

  @Override
  public boolean isLocalReply() {
    return false;
  }

  @Override
  public String localReplyPath() {
    return null;
  }

  @Override
  public String localReplyToken() {
    return null;
  }

  @Override
  public long deadlineNanos() {
    return deadline;
  }

  @Override
  public long timeoutMillis() {
    if (deadline == 0) {
      return 0;
    }
    long left = deadline - call.lifecycle().nanoTime();
    return Math.max(1, (left + 999_999) / 1_000_000);
  }

  @Override
  public int connectTimeoutMillis() {
    return call.connectTimeoutMillis();
  }

  @Override
  public long maxRequestsPerConnection() {
    return call.maxRequestsPerConnection();
  }

  @Override
  public long maxConnectionDurationNanos() {
    return call.maxConnectionDurationNanos();
  }

  @Override
  public long connectionIdleTimeoutNanos() {
    return call.connectionIdleTimeoutNanos();
  }

  @Override
  public int onResponse(int status, Function<String, String> header) {
    result = AttemptResult.response(status); // shared instances: no allocation per attempt
    int verdict = call.onResponse(status, header);
    if (verdict != DELIVER) {
      end();
    }
    return verdict;
  }

  @Override
  public int onFailure(Throwable failure, boolean timedOut, boolean requestSent) {
    boolean appTimeout = !timedOut && Timeouts.isTimeout(failure);
    result = AttemptResult.failed(timedOut ? FailureKind.PER_TRY_TIMEOUT : FailureKind.of(failure));
    end();
    return call.onFailure(failure, timedOut, requestSent, appTimeout);
  }

  @Override
  public long backoffNanos() {
    return call.backoffNanos();
  }

  @Override
  public void onEnd() {
    end();
  }

  private void end() {
    // once, whichever comes first: the adapter's body-done signal, or (HttpURLConnection) the
    // cleaner of a connection the application dropped unread, on another thread
    if (ended || !ENDED.compareAndSet(this, false, true)) {
      return;
    }
    if (permit != null) {
      permit.release(result != null ? result : AttemptResult.failed(FailureKind.CANCELLED), call.lifecycle().nanoTime() - start);
    }
    if (retryToken != null) {
      retryToken.release();
    }
  }
}
