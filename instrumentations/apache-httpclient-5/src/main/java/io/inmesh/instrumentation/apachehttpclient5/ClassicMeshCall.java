package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.MirrorRequest;
import io.inmesh.bootstrap.OutboundCall;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
import org.apache.hc.core5.net.URIAuthority;

/**
 * One logical call of the classic client, on the application's thread: the injected delay, then
 * attempts until one is delivered or fails. Each attempt is a copy of the application's request
 * (its authority, hence the Host header, unchanged; the route's header edits and rewrites applied)
 * sent down the rest of the chain on a route to the attempt's endpoint, with the attempt's deadline
 * as the response timeout. A local answer (fault abort, overflow, timeout, no healthy upstream) is
 * an attempt to the agent's responder, which answers in HTTP, so the application gets an ordinary
 * Apache response; it is delivered above Apache's retry element, which never sees a mesh attempt.
 */
final class ClassicMeshCall {
  private final ClassicHttpRequest request;
  private final ApacheRequestView view;
  private final ExecChain.Scope scope;
  private final ExecChain chain;
  private final OutboundCall call;
  private final HttpClientContext context;
  private final RequestConfig own;
  private HttpEntity entity;

  ClassicMeshCall(ClassicHttpRequest request, ApacheRequestView view, ExecChain.Scope scope, ExecChain chain, OutboundCall call) {
    this.request = request;
    this.view = view;
    this.scope = scope;
    this.chain = chain;
    this.call = call;
    this.context = scope.clientContext;
    this.own = Attempts.own(context);
    this.entity = request.getEntity();
  }

  ClassicHttpResponse run() throws IOException, HttpException {
    prepare();
    long delay = call.delayNanos();
    long ownTimeout = Attempts.ownTimeoutNanos(own);
    if (delay > 0 && ownTimeout > 0 && delay >= ownTimeout) {
      // an injected delay is time the application waits for its response, as behind a sidecar
      sleep(ownTimeout);
      throw new SocketTimeoutException("Read timed out");
    }
    sleep(delay);
    for (;;) {
      Attempt attempt = call.startAttempt();
      ClassicHttpRequest copy = attemptRequest(attempt);
      ExecChain.Scope s = new ExecChain.Scope(scope.exchangeId, Attempts.route(attempt, scope.route), scope.originalRequest, scope.execRuntime, context);
      boolean meshTimeout = Attempts.applyTimeouts(context, own, attempt);
      ClassicHttpResponse response = null;
      IOException failure = null;
      int verdict;
      String meshScheme = Attempts.meshScheme(s.route);
      Object ownState = Attempts.markState(context, meshScheme);
      context.setAttribute(Attempts.ATTEMPT_ATTRIBUTE, Boolean.TRUE);
      if (meshScheme != null) {
        context.setAttribute(Attempts.MTLS_ATTRIBUTE, attempt.tls().expected());
      }
      try {
        response = chain.proceed(copy, s);
      } catch (IOException e) {
        failure = e;
      } catch (HttpException | RuntimeException e) {
        attempt.onFailure(e, false, true);
        throw e;
      } finally {
        context.removeAttribute(Attempts.ATTEMPT_ATTRIBUTE);
        context.removeAttribute(Attempts.MTLS_ATTRIBUTE);
        context.setRequestConfig(own);
        Attempts.restoreState(context, meshScheme, ownState);
      }
      if (response != null) {
        ClassicHttpResponse r = response;
        verdict = attempt.onResponse(r.getCode(), name -> MessageHeaders.first(r, name));
      } else {
        verdict = attempt.onFailure(failure, Attempts.timedOutByMesh(meshTimeout, failure), Attempts.sent(failure));
      }
      if (verdict == Attempt.DELIVER) {
        if (response == null) {
          throw failure;
        }
        return deliver(response, attempt);
      }
      if (verdict == Attempt.FAIL) {
        if (failure != null) {
          throw failure;
        }
        return deliver(response, attempt);
      }
      if (response != null) {
        drop(response);
        attempt.onEnd();
      }
      releaseLeftover();
      sleep(attempt.backoffNanos());
    }
  }

  /** The response goes to the application with the route's response edits; the attempt ends with its body. */
  private ClassicHttpResponse deliver(ClassicHttpResponse response, Attempt attempt) {
    try {
      call.editResponse(new MessageHeaders(response));
    } catch (Throwable t) {
      Mesh.failed("apache-httpclient-5", t);
    }
    HttpEntity body = response.getEntity();
    if (body == null) {
      attempt.onEnd();
    } else {
      response.setEntity(new EndingEntity(body, attempt));
    }
    return response;
  }

  /** Drains a dropped response so its connection goes back to the pool. */
  private static void drop(ClassicHttpResponse response) {
    try {
      EntityUtils.consume(response.getEntity());
    } catch (IOException ignored) {
      // the connection is discarded instead
    }
    try {
      response.close();
    } catch (IOException ignored) {
      // same
    }
  }

  /** The next attempt may go to another endpoint: the previous one's connection must not be kept for it. */
  private void releaseLeftover() {
    try {
      if (scope.execRuntime.isEndpointAcquired()) {
        scope.execRuntime.releaseEndpoint();
      }
    } catch (RuntimeException e) {
      scope.execRuntime.discardEndpoint();
    }
  }

  private ClassicHttpRequest attemptRequest(Attempt attempt) {
    URIAuthority authority = Attempts.authority(call, view.authority());
    BasicClassicHttpRequest copy = new BasicClassicHttpRequest(request.getMethod(), view.scheme(), authority, Attempts.path(call, request.getPath()));
    if (request.getVersion() != null) {
      copy.setVersion(request.getVersion());
    }
    copy.setHeaders(request.getHeaders());
    copy.setEntity(entity);
    call.editRequest(new MessageHeaders(copy));
    if (attempt.isLocalReply()) {
      copy.setHeader(Mesh.LOCAL_REPLY_HEADER, attempt.localReplyToken());
    }
    return copy;
  }

  /**
   * Tells the engine whether the body can be sent again: no body, a repeatable one, or one of
   * known length up to 64 KiB, which is buffered here (Spring's streaming bodies are not repeatable)
   * — and offers the mirrors a copy.
   */
  private void prepare() {
    byte[] bytes = null;
    boolean replayable;
    try {
      if (entity == null) {
        replayable = true;
        bytes = new byte[0];
      } else {
        long length = entity.getContentLength();
        boolean small = length >= 0 && length <= OutboundCall.MAX_REPLAY_BYTES;
        if (small && !entity.isRepeatable()) {
          ByteArrayOutputStream out = new ByteArrayOutputStream((int) length);
          entity.writeTo(out);
          bytes = out.toByteArray();
          ContentType type = entity.getContentType() == null ? null : ContentType.parseLenient(entity.getContentType());
          entity = new ByteArrayEntity(bytes, type, entity.getContentEncoding(), entity.isChunked());
          replayable = true;
        } else if (small) {
          replayable = true;
          if (call.mirrors()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) length);
            entity.writeTo(out);
            bytes = out.toByteArray();
          }
        } else {
          replayable = false;
        }
      }
    } catch (Throwable t) {
      Mesh.failed("apache-httpclient-5", t);
      replayable = false;
    }
    call.bodyReplayable(replayable);
    if (bytes != null && call.mirrors()) {
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (Header h : request.getHeaders()) {
        headers.computeIfAbsent(h.getName(), k -> new ArrayList<>(1)).add(h.getValue());
      }
      String path = call.rewrittenPath() != null ? call.rewrittenPath() : view.path();
      call.mirror(new MirrorRequest(view.method(), path, headers, bytes));
    }
  }

  private static void sleep(long nanos) throws InterruptedIOException {
    if (nanos <= 0) {
      return;
    }
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }
}
