package io.inmesh.instrumentation.javahttpclient;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.OutboundCall;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Sees an attempt's status and headers before its body reaches the application, and asks the
 * engine what to do: deliver (the application's own handler takes the body, with the route's
 * response header edits), or drop it (the body is drained so the connection can be reused) and
 * try again.
 */
final class AttemptHandler<T> implements HttpResponse.BodyHandler<T> {
  private final HttpResponse.BodyHandler<T> user;
  private final OutboundCall call;
  private final Attempt attempt;
  volatile int verdict = Attempt.DELIVER;
  /** The response headers the application sees, after the route's edits; null when unchanged. */
  volatile HttpHeaders headers;

  AttemptHandler(HttpResponse.BodyHandler<T> user, OutboundCall call, Attempt attempt) {
    this.user = user;
    this.call = call;
    this.attempt = attempt;
  }

  @Override
  public HttpResponse.BodySubscriber<T> apply(HttpResponse.ResponseInfo info) {
    int v = attempt.onResponse(info.statusCode(), name -> info.headers().firstValue(name).orElse(null));
    verdict = v;
    if (v != Attempt.DELIVER) {
      return HttpResponse.BodySubscribers.replacing(null);
    }
    AttemptRequest.Edits edits = new AttemptRequest.Edits(info.headers().map());
    call.editResponse(edits);
    HttpResponse.ResponseInfo seen = info;
    if (edits.changed) {
      HttpHeaders h = HttpHeaders.of(edits.map, (k, x) -> true);
      headers = h;
      seen = new HttpResponse.ResponseInfo() {
        @Override
        public int statusCode() {
          return info.statusCode();
        }

        @Override
        public HttpHeaders headers() {
          return h;
        }

        @Override
        public HttpClient.Version version() {
          return info.version();
        }
      };
    }
    return new Ending<>(user.apply(seen), attempt);
  }

  /**
   * Tells the attempt when the application's body subscriber is done. As trusted as the subscriber
   * it wraps: the client calls a subscriber's {@code getBody()} on its executor unless the subscriber
   * is one of its own {@code TrustedSubscriber}s that needs none (the JDK's {@code ofString},
   * {@code ofByteArray}, …), so a plain wrapper cost every meshed {@code send} a hand-off to the
   * client's worker threads and back that the same call without the mesh does not make (issue 13:
   * the JDK pair's added sequential latency). The JDK's own wrappers ({@code BufferingSubscriber},
   * {@code HttpBodySubscriberWrapper}) answer the same way.
   */
  private static final class Ending<T> implements jdk.internal.net.http.ResponseSubscribers.TrustedSubscriber<T> {
    private final HttpResponse.BodySubscriber<T> delegate;
    private final Attempt attempt;

    Ending(HttpResponse.BodySubscriber<T> delegate, Attempt attempt) {
      this.delegate = delegate;
      this.attempt = attempt;
    }

    @Override
    public boolean needsExecutor() {
      return jdk.internal.net.http.ResponseSubscribers.TrustedSubscriber.needsExecutor(delegate);
    }

    @Override
    public CompletionStage<T> getBody() {
      return delegate.getBody();
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      delegate.onSubscribe(subscription);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      delegate.onNext(item);
    }

    @Override
    public void onError(Throwable throwable) {
      attempt.onEnd();
      delegate.onError(throwable);
    }

    @Override
    public void onComplete() {
      attempt.onEnd();
      delegate.onComplete();
    }
  }
}
