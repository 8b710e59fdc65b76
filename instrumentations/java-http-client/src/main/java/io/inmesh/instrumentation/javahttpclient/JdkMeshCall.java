package io.inmesh.instrumentation.javahttpclient;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.MirrorRequest;
import io.inmesh.bootstrap.OutboundCall;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@code java.net.http} call through the mesh's lifecycle. The client's private
 * {@code sendAsync} — which both {@code send} and {@code sendAsync} go through, on Java 17 and 25
 * alike — hands the call here; each attempt is then an ordinary send of an {@link AttemptRequest}
 * through the same client (so pooling, HTTP/2, authentication and redirects are the client's own),
 * and the attempt's outcome is read in a {@link HttpResponse.BodyHandler} that sees status and
 * headers before the body reaches the application.
 *
 * <p>{@code send} runs its attempts on the calling thread (as the client does); {@code sendAsync}
 * chains them on the client's executor and never parks a thread: injected delays and backoff use
 * a delayed executor.
 */
public final class JdkMeshCall<T> {
  private final HttpClient client;
  private final HttpRequest request;
  private final HttpResponse.BodyHandler<T> handler;
  private final HttpResponse.PushPromiseHandler<T> push;
  private final OutboundCall call;
  private final CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
  private volatile CompletableFuture<HttpResponse<T>> inFlight;
  /** When the application made the call: its own timeout runs from here. */
  private final long started = System.nanoTime();

  private JdkMeshCall(
      HttpClient client,
      HttpRequest request,
      HttpResponse.BodyHandler<T> handler,
      HttpResponse.PushPromiseHandler<T> push,
      OutboundCall call) {
    this.client = client;
    this.request = request;
    this.handler = handler;
    this.push = push;
    this.call = call;
  }

  /**
   * Takes the call, or returns null to let the client proceed untouched (not a mesh host, an
   * attempt of a call already taken, a proxied request, or an error inside inmesh).
   *
   * @param exchangeExecutor null for {@code send}, the client's executor for {@code sendAsync}
   */
  public static <T> CompletableFuture<HttpResponse<T>> start(
      HttpClient client,
      HttpRequest request,
      HttpResponse.BodyHandler<T> handler,
      HttpResponse.PushPromiseHandler<T> push,
      Executor exchangeExecutor) {
    if (request instanceof AttemptRequest || request == null || handler == null) {
      return null;
    }
    try {
      URI uri = request.uri();
      if (uri == null || !"http".equalsIgnoreCase(uri.getScheme()) || proxied(client, uri)) {
        return null;
      }
      JdkRequestView view = new JdkRequestView(request);
      if (exchangeExecutor == null) {
        OutboundCall call = Mesh.outboundWaiting(view);
        if (call == null) {
          return null;
        }
        JdkMeshCall<T> c = new JdkMeshCall<>(client, request, handler, push, call);
        c.runBlocking();
        return c.result;
      }
      CompletionStage<Void> wait = Mesh.beforeDecision(uri.getHost());
      if (wait != null) {
        // before the first snapshot: decide once it is in (or the start-up wait is over), no thread parked
        return wait.toCompletableFuture().thenCompose(x -> {
          OutboundCall call = Mesh.outbound(view);
          return call == null ? client.sendAsync(request, handler, push) : new JdkMeshCall<>(client, request, handler, push, call).runAsync();
        });
      }
      OutboundCall call = Mesh.outbound(view);
      if (call == null) {
        return null;
      }
      return new JdkMeshCall<>(client, request, handler, push, call).runAsync();
    } catch (Throwable t) {
      Mesh.failed("java-http-client", t);
      return null;
    }
  }

  private static boolean proxied(HttpClient client, URI uri) {
    var ps = client.proxy();
    if (ps.isEmpty()) {
      return false;
    }
    ProxySelector selector = ps.get();
    List<Proxy> proxies = selector.select(uri);
    return proxies != null && !proxies.isEmpty() && proxies.get(0).type() != Proxy.Type.DIRECT;
  }

  // ---- send: attempts on the calling thread -----------------------------------------------------

  private void runBlocking() {
    try {
      prepare();
      long delay = call.delayNanos();
      long own = ownTimeoutNanos();
      if (delay > 0 && own > 0 && delay >= own) {
        // an injected delay is time the application waits for its response, as behind a sidecar
        sleep(own);
        result.completeExceptionally(new HttpTimeoutException("request timed out"));
        return;
      }
      sleep(delay);
      for (;;) {
        Attempt attempt = call.startAttempt();
        AttemptRequest ar = new AttemptRequest(request, call, attempt, System.nanoTime() - started);
        AttemptHandler<T> h = new AttemptHandler<>(handler, call, attempt);
        int verdict;
        HttpResponse<T> response = null;
        Throwable failure = null;
        try {
          response = client.send(ar, h);
          verdict = h.verdict;
        } catch (IOException e) {
          failure = e;
          verdict = attempt.onFailure(e, timedOutByMesh(ar, e), sent(e));
        }
        if (verdict == Attempt.DELIVER) {
          result.complete(new MeshResponse<>(response, request, h.headers));
          return;
        }
        if (verdict == Attempt.FAIL) {
          result.completeExceptionally(failure);
          return;
        }
        sleep(attempt.backoffNanos());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result.completeExceptionally(new InterruptedIOException("interrupted"));
    } catch (Throwable t) {
      result.completeExceptionally(t);
    }
  }

  private static void sleep(long nanos) throws InterruptedException {
    if (nanos > 0) {
      TimeUnit.NANOSECONDS.sleep(nanos);
    }
  }

  // ---- sendAsync: attempts chained, no thread parked ---------------------------------------------

  private CompletableFuture<HttpResponse<T>> runAsync() {
    result.whenComplete((r, t) -> {
      if (t instanceof CancellationException) {
        CompletableFuture<HttpResponse<T>> f = inFlight;
        if (f != null) {
          f.cancel(true);
        }
      }
    });
    try {
      prepare();
    } catch (Throwable t) {
      result.completeExceptionally(t);
      return result;
    }
    long delay = call.delayNanos();
    long own = ownTimeoutNanos();
    if (delay > 0 && own > 0 && delay >= own) {
      after(own, () -> result.completeExceptionally(new HttpTimeoutException("request timed out")));
      return result;
    }
    after(delay, this::nextAttempt);
    return result;
  }

  /** The application's own request timeout, in nanos, or 0. */
  private long ownTimeoutNanos() {
    return request.timeout().map(java.time.Duration::toNanos).orElse(0L);
  }

  private void after(long nanos, Runnable r) {
    if (nanos > 0) {
      CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS).execute(r);
    } else {
      r.run();
    }
  }

  private void nextAttempt() {
    if (result.isDone()) {
      return;
    }
    call.startAttemptAsync().whenComplete((attempt, admitFailure) -> {
      if (admitFailure != null) {
        result.completeExceptionally(admitFailure);
        return;
      }
      AttemptRequest ar;
      AttemptHandler<T> h;
      CompletableFuture<HttpResponse<T>> f;
      try {
        ar = new AttemptRequest(request, call, attempt, System.nanoTime() - started);
        h = new AttemptHandler<>(handler, call, attempt);
        f = client.sendAsync(ar, h, push);
      } catch (Throwable t) {
        result.completeExceptionally(t);
        return;
      }
      inFlight = f;
      f.whenComplete((response, t) -> {
        int verdict;
        Throwable failure = unwrap(t);
        if (failure == null) {
          verdict = h.verdict;
        } else if (failure instanceof CancellationException) {
          attempt.onEnd();
          result.completeExceptionally(failure);
          return;
        } else {
          verdict = attempt.onFailure(failure, timedOutByMesh(ar, failure), sent(failure));
        }
        if (verdict == Attempt.DELIVER) {
          result.complete(new MeshResponse<>(response, request, h.headers));
        } else if (verdict == Attempt.FAIL) {
          result.completeExceptionally(failure);
        } else {
          after(attempt.backoffNanos(), this::nextAttempt);
        }
      });
    });
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  // ---- shared -------------------------------------------------------------------------------------

  /** Tells the engine whether the body can be sent again, and offers the mirrors a copy. */
  private void prepare() {
    var publisher = request.bodyPublisher();
    long length = publisher.isEmpty() ? 0 : publisher.get().contentLength();
    // the JDK's own publishers (ofString, ofByteArray, ofFile, ofInputStream's supplier) start over
    // on each subscription, as the client itself relies on for redirects and authentication
    call.bodyReplayable(length >= 0 && length <= OutboundCall.MAX_REPLAY_BYTES);
    if (call.mirrors()) {
      byte[] body = publisher.isEmpty() ? new byte[0] : length >= 0 && length <= OutboundCall.MAX_REPLAY_BYTES ? collect(publisher.get()) : null;
      if (body != null) {
        String path = call.rewrittenPath() != null ? call.rewrittenPath() : new JdkRequestView(request).path();
        call.mirror(new MirrorRequest(request.method(), path, request.headers().map(), body));
      }
    }
  }

  /** The body of a publisher that delivers synchronously on subscription (the JDK's own do); null otherwise. */
  private static byte[] collect(HttpRequest.BodyPublisher publisher) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    boolean[] done = new boolean[1];
    publisher.subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(ByteBuffer item) {
        byte[] b = new byte[item.remaining()];
        item.get(b);
        out.write(b, 0, b.length);
      }

      @Override
      public void onError(Throwable throwable) {}

      @Override
      public void onComplete() {
        done[0] = true;
      }
    });
    return done[0] ? out.toByteArray() : null;
  }

  private static boolean timedOutByMesh(AttemptRequest ar, Throwable t) {
    return ar.meshTimeout() && t instanceof HttpTimeoutException && !(t instanceof HttpConnectTimeoutException);
  }

  /** Whether any of the request may have reached the server: not for a failure to connect. */
  private static boolean sent(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ConnectException || c instanceof HttpConnectTimeoutException || c instanceof javax.net.ssl.SSLHandshakeException
          || c instanceof java.nio.channels.UnresolvedAddressException || c instanceof java.net.UnknownHostException) {
        return false;
      }
    }
    return true;
  }
}
