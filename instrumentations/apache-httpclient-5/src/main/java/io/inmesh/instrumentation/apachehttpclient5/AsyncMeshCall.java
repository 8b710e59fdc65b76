package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.MirrorRequest;
import io.inmesh.bootstrap.OutboundCall;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.AsyncExecCallback;
import org.apache.hc.client5.http.async.AsyncExecChain;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.nio.AsyncDataConsumer;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.entity.DiscardingEntityConsumer;
import org.apache.hc.core5.io.SocketTimeoutExceptionFactory;
import org.apache.hc.core5.util.Timeout;

/**
 * One logical call of the async client: attempts chained through callbacks, never a parked
 * thread. The injected delay and the backoff between attempts are scheduled on a delayed executor,
 * never slept on the I/O reactor; pool admission is {@code startAttemptAsync}. Each attempt is a
 * copy of the application's request (authority kept) on a route to its endpoint (see
 * {@link Attempts}); a dropped response is discarded as it streams in and its connection released
 * before the next attempt, which may go elsewhere.
 */
final class AsyncMeshCall {
  private final HttpRequest request;
  private final ApacheRequestView view;
  private final AsyncEntityProducer producer;
  private final AsyncExecChain.Scope scope;
  private final AsyncExecChain chain;
  private final AsyncExecCallback callback;
  private final OutboundCall call;
  private final HttpClientContext context;
  private final RequestConfig own;

  AsyncMeshCall(HttpRequest request, ApacheRequestView view, AsyncEntityProducer producer, AsyncExecChain.Scope scope, AsyncExecChain chain, AsyncExecCallback callback, OutboundCall call) {
    this.request = request;
    this.view = view;
    this.producer = producer;
    this.scope = scope;
    this.chain = chain;
    this.callback = callback;
    this.call = call;
    this.context = scope.clientContext;
    this.own = Attempts.own(context);
  }

  void start() {
    try {
      prepare();
    } catch (Throwable t) {
      Mesh.failed("apache-httpclient-5", t);
    }
    long delay = call.delayNanos();
    long ownTimeout = Attempts.ownTimeoutNanos(own);
    if (delay > 0 && ownTimeout > 0 && delay >= ownTimeout) {
      // the injected delay outlasts the application's own timeout: it times out as it would behind a sidecar
      after(ownTimeout, () -> fail(SocketTimeoutExceptionFactory.create(own.getResponseTimeout())));
      return;
    }
    after(delay, this::nextAttempt);
  }

  private void prepare() {
    boolean replayable = producer == null
        || producer.isRepeatable() && producer.getContentLength() >= 0 && producer.getContentLength() <= OutboundCall.MAX_REPLAY_BYTES;
    call.bodyReplayable(replayable);
    if (producer == null && call.mirrors()) {
      // only body-less requests are mirrored: an async producer cannot be read ahead without consuming it
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (Header h : request.getHeaders()) {
        headers.computeIfAbsent(h.getName(), k -> new ArrayList<>(1)).add(h.getValue());
      }
      String path = call.rewrittenPath() != null ? call.rewrittenPath() : view.path();
      call.mirror(new MirrorRequest(view.method(), path, headers, new byte[0]));
    }
  }

  private static void after(long nanos, Runnable r) {
    if (nanos > 0) {
      CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS).execute(r);
    } else {
      r.run();
    }
  }

  private boolean cancelled() {
    return scope.cancellableDependency != null && scope.cancellableDependency.isCancelled();
  }

  private void fail(Exception e) {
    context.setRequestConfig(own);
    callback.failed(e);
  }

  private void nextAttempt() {
    if (cancelled()) {
      fail(new java.util.concurrent.CancellationException("Request aborted"));
      return;
    }
    call.startAttemptAsync().whenComplete((attempt, admitFailure) -> {
      if (admitFailure != null || attempt == null) {
        fail(admitFailure instanceof Exception ? (Exception) admitFailure : new IOException("no attempt", admitFailure));
        return;
      }
      send(attempt);
    });
  }

  private void send(Attempt attempt) {
    HttpRequest copy;
    AsyncExecChain.Scope s;
    AttemptCallback cb;
    try {
      copy = attemptRequest(attempt);
      s = new AsyncExecChain.Scope(scope.exchangeId, Attempts.route(attempt, scope.route), scope.originalRequest,
          scope.cancellableDependency, context, scope.execRuntime, scope.scheduler, scope.execCount);
      cb = new AttemptCallback(attempt, Attempts.applyTimeouts(context, own, attempt));
    } catch (Throwable t) {
      // an error inside inmesh: the attempt is given up and the request goes on as the application sent it
      Mesh.failed("apache-httpclient-5", t);
      attempt.onEnd();
      context.setRequestConfig(own);
      try {
        chain.proceed(request, producer, scope, callback);
      } catch (Exception e) {
        callback.failed(e);
      }
      return;
    }
    String meshScheme = Attempts.meshScheme(s.route);
    if (meshScheme != null && h2Only(s)) {
      // Apache's HTTP/2-only client upgrades only https targets to TLS: it cannot originate mesh mTLS,
      // and the attempt is never sent in plain text instead
      cb.failed(new javax.net.ssl.SSLHandshakeException("inmesh: mesh mTLS (" + attempt.tls().expected()
          + ") is not available with Apache's HTTP/2-only async client; the call is not sent in plain text"));
      return;
    }
    cb.meshScheme = meshScheme;
    cb.ownState = Attempts.markState(context, meshScheme);
    context.setAttribute(Attempts.ATTEMPT_ATTRIBUTE, Boolean.TRUE);
    try {
      chain.proceed(copy, producer, s, cb);
    } catch (Exception e) {
      cb.failed(e);
    } finally {
      context.removeAttribute(Attempts.ATTEMPT_ATTRIBUTE);
    }
  }

  /** True for the runtime of {@code H2AsyncClientBuilder}'s clients (HTTP/2 only, TLS for https targets only). */
  private static boolean h2Only(AsyncExecChain.Scope s) {
    return s.execRuntime != null && s.execRuntime.getClass().getName().endsWith("InternalH2AsyncExecRuntime");
  }

  private HttpRequest attemptRequest(Attempt attempt) {
    BasicHttpRequest copy = new BasicHttpRequest(request.getMethod(), view.scheme(), Attempts.authority(call, view.authority()), Attempts.path(call, request.getPath()));
    if (request.getVersion() != null) {
      copy.setVersion(request.getVersion());
    }
    copy.setHeaders(request.getHeaders());
    call.editRequest(new MessageHeaders(copy));
    if (attempt.isLocalReply()) {
      copy.setHeader(Mesh.LOCAL_REPLY_HEADER, attempt.localReplyToken());
    }
    return copy;
  }

  /** The next attempt may go to another endpoint: give back this one's connection first. */
  private void releaseConnection(boolean reusable) {
    try {
      if (scope.execRuntime.isEndpointAcquired()) {
        if (reusable) {
          scope.execRuntime.releaseEndpoint();
        } else {
          scope.execRuntime.discardEndpoint();
        }
      }
    } catch (RuntimeException e) {
      Mesh.failed("apache-httpclient-5", e);
    }
    if (producer != null) {
      producer.releaseResources();
    }
  }

  /** One attempt's outcome, judged by the engine before the body reaches the application. */
  private final class AttemptCallback implements AsyncExecCallback {
    private final Attempt attempt;
    private final boolean meshTimeout;
    private volatile int verdict = -1;
    /** For an mTLS attempt: its connection state, set until Apache has released or kept the connection. */
    volatile String meshScheme;
    volatile Object ownState;
    private final java.util.concurrent.atomic.AtomicBoolean restored = new java.util.concurrent.atomic.AtomicBoolean();

    /** Apache reads the connection state after the response head; it is the application's again once the attempt is over. */
    private void restoreState() {
      if (meshScheme != null && restored.compareAndSet(false, true)) {
        Attempts.restoreState(context, meshScheme, ownState);
      }
    }

    AttemptCallback(Attempt attempt, boolean meshTimeout) {
      this.attempt = attempt;
      this.meshTimeout = meshTimeout;
    }

    @Override
    public AsyncDataConsumer handleResponse(HttpResponse response, EntityDetails entityDetails) throws HttpException, IOException {
      int v = attempt.onResponse(response.getCode(), name -> MessageHeaders.first(response, name));
      verdict = v;
      if (v != Attempt.DELIVER) {
        return new DiscardingEntityConsumer<>();
      }
      context.setRequestConfig(own);
      try {
        call.editResponse(new MessageHeaders(response));
      } catch (Throwable t) {
        Mesh.failed("apache-httpclient-5", t);
      }
      return callback.handleResponse(response, entityDetails);
    }

    @Override
    public void handleInformationResponse(HttpResponse response) throws HttpException, IOException {
      callback.handleInformationResponse(response);
    }

    @Override
    public void completed() {
      restoreState();
      if (verdict == Attempt.DELIVER || verdict == -1) {
        attempt.onEnd();
        callback.completed();
        return;
      }
      // a dropped response, drained: another attempt after the backoff
      attempt.onEnd();
      releaseConnection(true);
      after(attempt.backoffNanos(), AsyncMeshCall.this::nextAttempt);
    }

    @Override
    public void failed(Exception cause) {
      restoreState();
      if (verdict == Attempt.DELIVER) {
        // the delivered response's body failed: the application hears it from Apache
        attempt.onEnd();
        callback.failed(cause);
        return;
      }
      if (cancelled()) {
        attempt.onEnd();
        fail(cause);
        return;
      }
      int v = verdict == Attempt.AGAIN
          ? Attempt.AGAIN
          : attempt.onFailure(cause, Attempts.timedOutByMesh(meshTimeout, cause), Attempts.sent(cause));
      if (v == Attempt.AGAIN) {
        releaseConnection(false);
        after(attempt.backoffNanos(), AsyncMeshCall.this::nextAttempt);
      } else {
        fail(cause);
      }
    }
  }
}
