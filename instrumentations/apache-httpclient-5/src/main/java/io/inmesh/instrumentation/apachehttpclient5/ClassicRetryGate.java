package io.inmesh.instrumentation.apachehttpclient5;

import java.io.IOException;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpException;

/**
 * Apache's retry element, which a mesh attempt passes straight through: the mesh owns retries of a
 * mesh call (Istio's retry policy, the retry budget, a new endpoint per try), so Apache must not
 * send one attempt twice to the same endpoint behind the engine's back, nor ever re-send a local
 * answer (its default strategy retries a 503 after a second). Every other call gets Apache's retry
 * exactly as the application configured it.
 */
public final class ClassicRetryGate implements ExecChainHandler {
  private final ExecChainHandler apache;

  public ClassicRetryGate(ExecChainHandler apache) {
    this.apache = apache;
  }

  @Override
  public ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain) throws IOException, HttpException {
    if (scope.clientContext.getAttribute(Attempts.ATTEMPT_ATTRIBUTE) != null) {
      return chain.proceed(request, scope);
    }
    return apache.execute(request, scope, chain);
  }
}
