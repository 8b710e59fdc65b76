package io.inmesh.agent.lifecycle;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.LocalAnswer;
import java.net.InetSocketAddress;
import java.util.function.Function;

/**
 * An attempt the mesh answers itself: the adapter sends it to the agent's loopback responder,
 * which answers in real HTTP, so the library builds its own response object or exception exactly
 * as if a sidecar had answered. A local answer is final: it is delivered, never retried.
 */
final class LocalAttempt implements Attempt {
  private final Lifecycle lc;
  private final String token;

  LocalAttempt(Lifecycle lc, LocalAnswer answer) {
    this.lc = lc;
    this.token = lc.responderToken(answer);
  }

  @Override
  public InetSocketAddress address() {
    return lc.responderAddress();
  }

  @Override
  public boolean isLocalReply() {
    return true;
  }

  @Override
  public String localReplyPath() {
    return io.inmesh.agent.local.LocalResponder.PATH_PREFIX + token;
  }

  @Override
  public String localReplyToken() {
    return token;
  }

  @Override
  public long deadlineNanos() {
    return 0;
  }

  @Override
  public long timeoutMillis() {
    return 0;
  }

  @Override
  public int connectTimeoutMillis() {
    return 0;
  }

  @Override
  public int onResponse(int status, Function<String, String> header) {
    return DELIVER;
  }

  @Override
  public int onFailure(Throwable failure, boolean timedOut, boolean requestSent) {
    return FAIL;
  }

  @Override
  public long backoffNanos() {
    return 0;
  }

  @Override
  public void onEnd() {}
}
