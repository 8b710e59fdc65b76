package io.inmesh.instrumentation.apachehttpclient5;

import java.io.IOException;
import org.apache.hc.client5.http.async.AsyncExecCallback;
import org.apache.hc.client5.http.async.AsyncExecChain;
import org.apache.hc.client5.http.async.AsyncExecChainHandler;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;

/** The async client's retry element, which a mesh attempt passes straight through (see {@link ClassicRetryGate}). */
public final class AsyncRetryGate implements AsyncExecChainHandler {
  private final AsyncExecChainHandler apache;

  public AsyncRetryGate(AsyncExecChainHandler apache) {
    this.apache = apache;
  }

  @Override
  public void execute(HttpRequest request, AsyncEntityProducer entityProducer, AsyncExecChain.Scope scope, AsyncExecChain chain, AsyncExecCallback callback)
      throws HttpException, IOException {
    if (scope.clientContext.getAttribute(Attempts.ATTEMPT_ATTRIBUTE) != null) {
      chain.proceed(request, entityProducer, scope, callback);
      return;
    }
    apache.execute(request, entityProducer, scope, chain, callback);
  }
}
