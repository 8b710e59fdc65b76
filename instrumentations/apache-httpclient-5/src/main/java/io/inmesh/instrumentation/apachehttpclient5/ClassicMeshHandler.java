package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import java.io.IOException;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpException;

/**
 * The mesh's element of the classic client's exec chain, just above Apache's retry element (below
 * the redirect element, so each redirect hop is a call of its own, as the JDK adapters do). It
 * takes one decision per call and runs the attempts ({@link ClassicMeshCall}); a call to a host
 * that is not a mesh service, or any error inside inmesh, goes down the chain untouched.
 */
public final class ClassicMeshHandler implements ExecChainHandler {
  public static final String NAME = "inmesh";

  @Override
  public ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain) throws IOException, HttpException {
    OutboundCall call = null;
    ApacheRequestView view = null;
    try {
      if (scope.clientContext.getAttribute(Attempts.ATTEMPT_ATTRIBUTE) == null) {
        view = new ApacheRequestView(request, scope.route.getTargetHost());
        if (Attempts.meshable(request, scope.route, view)) {
          call = Mesh.outboundWaiting(view);
        }
      }
    } catch (Throwable t) {
      Mesh.failed("apache-httpclient-5", t);
      call = null;
    }
    if (call == null) {
      if (view != null) { // not an attempt of a mesh call (those carry the headers editRequest wrote)
        MessageHeaders.propagate(request);
      }
      return chain.proceed(request, scope);
    }
    return new ClassicMeshCall(request, view, scope, chain, call).run();
  }
}
