package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import java.io.IOException;
import java.util.concurrent.CompletionStage;
import org.apache.hc.client5.http.async.AsyncExecCallback;
import org.apache.hc.client5.http.async.AsyncExecChain;
import org.apache.hc.client5.http.async.AsyncExecChainHandler;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;

/**
 * The mesh's element of the async client's exec chain, just above Apache's retry element. It
 * never blocks: before the first policy snapshot a call to a possible mesh host is decided when
 * {@link Mesh#beforeDecision} completes (no thread parked), and delays and backoffs are scheduled.
 */
public final class AsyncMeshHandler implements AsyncExecChainHandler {
  public static final String NAME = "inmesh";

  @Override
  public void execute(HttpRequest request, AsyncEntityProducer entityProducer, AsyncExecChain.Scope scope, AsyncExecChain chain, AsyncExecCallback callback)
      throws HttpException, IOException {
    ApacheRequestView view;
    CompletionStage<Void> wait;
    try {
      if (scope.clientContext.getAttribute(Attempts.ATTEMPT_ATTRIBUTE) != null) {
        chain.proceed(request, entityProducer, scope, callback);
        return;
      }
      view = new ApacheRequestView(request, scope.route.getTargetHost());
      if (!Attempts.meshable(request, scope.route, view)) {
        MessageHeaders.propagate(request);
        chain.proceed(request, entityProducer, scope, callback);
        return;
      }
      wait = Mesh.beforeDecision(view.host());
    } catch (HttpException | IOException e) {
      throw e;
    } catch (Throwable t) {
      Mesh.failed("apache-httpclient-5", t);
      chain.proceed(request, entityProducer, scope, callback);
      return;
    }
    if (wait == null) {
      decide(request, view, entityProducer, scope, chain, callback);
      return;
    }
    // before the first snapshot: decide once it is in (or the start-up wait is over)
    wait.whenComplete((x, t) -> {
      try {
        decide(request, view, entityProducer, scope, chain, callback);
      } catch (Exception e) {
        callback.failed(e);
      } catch (Throwable e) {
        Mesh.failed("apache-httpclient-5", e);
        callback.failed(new java.io.IOException(e));
      }
    });
  }

  private static void decide(HttpRequest request, ApacheRequestView view, AsyncEntityProducer entityProducer, AsyncExecChain.Scope scope, AsyncExecChain chain, AsyncExecCallback callback)
      throws HttpException, IOException {
    OutboundCall call = Mesh.outbound(view);
    if (call == null) {
      MessageHeaders.propagate(request);
      chain.proceed(request, entityProducer, scope, callback);
      return;
    }
    AsyncMeshCall meshCall;
    try {
      meshCall = new AsyncMeshCall(request, view, entityProducer, scope, chain, callback, call);
    } catch (Throwable t) {
      // fail open: an error inside inmesh leaves the call to Apache
      Mesh.failed("apache-httpclient-5", t);
      chain.proceed(request, entityProducer, scope, callback);
      return;
    }
    meshCall.start();
  }
}
