package io.inmesh.instrumentation.apachehttpclient4;

import java.io.IOException;
import org.apache.http.HttpResponse;
import org.apache.http.client.HttpRequestRetryHandler;
import org.apache.http.client.ServiceUnavailableRetryStrategy;
import org.apache.http.protocol.HttpContext;

/**
 * Apache 4.5's retry elements ({@code RetryExec}: I/O failures; {@code ServiceUnavailableRetryExec},
 * when the application sets a strategy: 503s) consult their handler and strategy with the call's
 * context: wrapped here, they answer "no" for a mesh attempt (the mesh owns its retries and never
 * re-sends a local answer) and ask the application's own for every other call.
 */
public final class RetryGates {
  private RetryGates() {}

  private static boolean meshAttempt(HttpContext context) {
    return context != null && context.getAttribute(Mesh4ExecChain.ATTEMPT_ATTRIBUTE) != null;
  }

  public static HttpRequestRetryHandler gate(HttpRequestRetryHandler apache) {
    if (apache == null || apache instanceof Handler) {
      return apache;
    }
    return new Handler(apache);
  }

  public static ServiceUnavailableRetryStrategy gate(ServiceUnavailableRetryStrategy apache) {
    if (apache == null || apache instanceof Strategy) {
      return apache;
    }
    return new Strategy(apache);
  }

  static final class Handler implements HttpRequestRetryHandler {
    private final HttpRequestRetryHandler apache;

    Handler(HttpRequestRetryHandler apache) {
      this.apache = apache;
    }

    @Override
    public boolean retryRequest(IOException exception, int executionCount, HttpContext context) {
      return !meshAttempt(context) && apache.retryRequest(exception, executionCount, context);
    }
  }

  static final class Strategy implements ServiceUnavailableRetryStrategy {
    private final ServiceUnavailableRetryStrategy apache;

    Strategy(ServiceUnavailableRetryStrategy apache) {
      this.apache = apache;
    }

    @Override
    public boolean retryRequest(HttpResponse response, int executionCount, HttpContext context) {
      return !meshAttempt(context) && apache.retryRequest(response, executionCount, context);
    }

    @Override
    public long getRetryInterval() {
      return apache.getRetryInterval();
    }
  }
}
