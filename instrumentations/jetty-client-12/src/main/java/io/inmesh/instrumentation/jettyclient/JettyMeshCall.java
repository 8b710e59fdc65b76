package io.inmesh.instrumentation.jettyclient;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.MirrorRequest;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.UpstreamTls;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.ProxyConfiguration;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpRequest;
import org.eclipse.jetty.client.transport.HttpResponse;
import org.eclipse.jetty.client.transport.ResponseListeners;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;

/**
 * One Jetty call through the mesh's lifecycle ({@link OutboundCall}), without ever parking a thread:
 * the start-up wait is a stage ({@link Mesh#beforeDecision}), pool admission is
 * {@link OutboundCall#startAttemptAsync}, an injected delay and a retry's backoff are timers on the
 * client's scheduler, and each attempt is an asynchronous {@code send} of a request of its own.
 *
 * <ul>
 *   <li><b>Endpoint per attempt.</b> The attempt's request goes to {@code http://<endpoint>/path}
 *       with the logical name (or the route's rewritten authority) in its {@code Host} header; Jetty
 *       keeps an explicit {@code Host}. A local answer (fault abort, no healthy upstream, overflow,
 *       504) goes to the agent's loopback responder with {@link Mesh#LOCAL_REPLY_HEADER}, so the
 *       application gets it as a Jetty response like any other, status, body and headers.
 *   <li><b>mTLS.</b> An attempt the mesh sends over mTLS ({@link Attempt#tls()}) keeps its
 *       {@code http://} URI and goes through {@link MeshTlsTransport}; a refused server (a handshake
 *       failure: not the expected SPIFFE ID, not the mesh's roots) is a connect failure (UF).
 *   <li><b>Timeouts.</b> The attempt's deadline becomes that request's total timeout
 *       ({@code Request.timeout}) when it is shorter than what is left of the application's own;
 *       the application's own total timeout covers the whole call (delay, attempts, backoff) and
 *       fails it with Jetty's own {@code TimeoutException}.
 *   <li><b>Delivery.</b> The attempt's events are held until its status and headers are in; a
 *       dropped response (a retry) is drained and never seen by the application, a delivered one is
 *       passed on to the application's listeners from its headers on.
 * </ul>
 */
public final class JettyMeshCall {
  /** Marks the requests of attempts (the adapter's own), which Jetty sends as usual. */
  static final String ATTEMPT = "io.inmesh.jetty.attempt";
  /** On the application's request while the mesh owns it: where its abort goes. */
  static final String CALL = "io.inmesh.jetty.call";
  /** Set around the application's own send when the mesh leaves a call alone after a wait. */
  private static final ThreadLocal<Boolean> BYPASS = new ThreadLocal<>();

  private final HttpClient client;
  private final HttpRequest request;
  private final Response.CompleteListener listener;
  private final long appTimeoutMillis;
  private final long appDeadline;
  private OutboundCall call;
  private boolean mirrored;
  private boolean listenersAdded;
  private int attempts;
  private volatile Request current;
  private volatile Throwable aborted;
  private volatile boolean finished;

  private JettyMeshCall(HttpClient client, HttpRequest request, Response.CompleteListener listener) {
    this.client = client;
    this.request = request;
    this.listener = listener;
    this.appTimeoutMillis = request.getTimeout();
    this.appDeadline = appTimeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(appTimeoutMillis) : 0;
  }

  /**
   * From the advice on {@code HttpRequest.send(listener)}: true when the mesh owns the call (Jetty's
   * own send is skipped), false to let Jetty send it untouched. Never throws (fail open).
   */
  public static boolean take(HttpClient client, HttpRequest request, Response.CompleteListener listener) {
    try {
      if (BYPASS.get() != null || client == null || request == null) {
        return false;
      }
      if (request.getAttributes().containsKey(ATTEMPT) || request.getAttributes().containsKey(CALL) || request.getAbortCause() != null) {
        return false;
      }
      if (!"http".equalsIgnoreCase(request.getScheme()) || proxied(client)) {
        return false;
      }
      JettyMeshCall mc = new JettyMeshCall(client, request, listener);
      CompletionStage<Void> wait = Mesh.beforeDecision(request.getHost());
      if (wait == null) {
        return mc.decide();
      }
      // before the first snapshot: the call waits for it (bounded) as a stage, no thread parked
      request.attribute(CALL, mc);
      wait.whenComplete((v, t) -> mc.decideAfterWait());
      return true;
    } catch (Throwable t) {
      Mesh.failed("jetty-client", t);
      return false;
    }
  }

  /** From the advice on {@code HttpRequest.abort(Throwable)}: the attempt in flight ends too. */
  public static void aborted(HttpRequest request, Throwable cause) {
    try {
      Object mc = request.getAttributes().get(CALL);
      if (mc instanceof JettyMeshCall && cause != null) {
        ((JettyMeshCall) mc).abort(cause);
      }
    } catch (Throwable t) {
      Mesh.failed("jetty-client", t);
    }
  }

  /** A client with a proxy sends through it, untouched (as the other adapters do). */
  private static boolean proxied(HttpClient client) {
    ProxyConfiguration pc = client.getProxyConfiguration();
    return pc != null && !pc.getProxies().isEmpty();
  }

  private boolean decide() {
    call = Mesh.outbound(new JettyRequestView(request));
    if (call == null) {
      return false;
    }
    request.attribute(CALL, this);
    start();
    return true;
  }

  private void decideAfterWait() {
    try {
      if (aborted != null) {
        failApp(aborted);
        return;
      }
      call = Mesh.outbound(new JettyRequestView(request));
    } catch (Throwable t) {
      Mesh.failed("jetty-client", t);
      call = null;
    }
    if (call == null) {
      passThrough();
      return;
    }
    start();
  }

  /** The application's own send, untouched. */
  private void passThrough() {
    BYPASS.set(Boolean.TRUE);
    try {
      request.getAttributes().remove(CALL);
      request.send(listener);
    } catch (Throwable t) {
      failApp(t);
    } finally {
      BYPASS.remove();
    }
  }

  private void start() {
    try {
      prepareBody();
      long delay = call.delayNanos();
      if (delay > 0) {
        long left = appLeftNanos();
        if (appDeadline != 0 && delay >= left) {
          // the delay outlasts the application's own timeout: behind a sidecar it would time out
          later(() -> failApp(appTimeout()), left);
          return;
        }
        later(this::next, delay);
        return;
      }
      next();
    } catch (Throwable t) {
      Mesh.failed("jetty-client", t);
      failApp(t);
    }
  }

  /** Starts the next attempt once the engine admits it. */
  private void next() {
    if (aborted != null) {
      failApp(aborted);
      return;
    }
    if (appDeadline != 0 && appLeftNanos() <= 0) {
      failApp(appTimeout());
      return;
    }
    call.startAttemptAsync().whenComplete((a, t) -> {
      if (t != null) {
        Mesh.failed("jetty-client", t);
        failApp(t);
      } else {
        send(a);
      }
    });
  }

  private void send(Attempt a) {
    try {
      if (!mirrored) {
        mirrored = true;
        mirror();
      }
      Request r = attemptRequest(a);
      UpstreamTls tls = a.isLocalReply() ? null : a.tls();
      if (tls != null) {
        // mesh mTLS: the attempt's request keeps its http:// URI and gets the mesh's TLS transport,
        // so Jetty pools it apart and connects with the mesh's engine; never plain text instead
        try {
          r.transport(MeshTlsTransport.of(tls));
        } catch (RuntimeException | LinkageError e) {
          Mesh.failed("jetty-client-mtls", e);
          SSLHandshakeException refused = new SSLHandshakeException("inmesh: mTLS could not be set up on this Jetty client (" + e + "); the call is not sent in plain text");
          refused.initCause(e);
          afterFailure(a, refused, false, false);
          return;
        }
      }
      long meshMillis = a.timeoutMillis();
      long appLeftMillis = appDeadline == 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(appLeftNanos()));
      boolean meshBinds = meshMillis > 0 && (appDeadline == 0 || meshMillis <= appLeftMillis);
      r.timeout(meshBinds ? meshMillis : appLeftMillis, TimeUnit.MILLISECONDS);
      current = r;
      if (aborted != null) {
        a.onEnd();
        failApp(aborted);
        return;
      }
      r.send(new AttemptListener(a, meshBinds));
    } catch (Throwable t) {
      Mesh.failed("jetty-client", t);
      try {
        a.onEnd();
      } finally {
        failApp(t);
      }
    }
  }

  /** The request one attempt sends: the application's, to the attempt's endpoint, with the route's edits. */
  private Request attemptRequest(Attempt a) {
    InetSocketAddress address = a.address();
    String path = call.rewrittenPath() != null ? call.rewrittenPath() : JettyRequestView.pathOf(request);
    if (!path.startsWith("/")) {
      path = "/" + path;
    }
    String authority = call.rewrittenAuthority();
    String logical = hostHeader(request);
    URI uri;
    if (address != null) {
      String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
      if (host.indexOf(':') >= 0) {
        host = "[" + host + "]";
      }
      uri = URI.create("http://" + host + ":" + address.getPort() + path);
    } else {
      uri = URI.create("http://" + (authority != null ? authority : logical) + path);
    }
    Request r = client.newRequest(uri);
    r.method(request.getMethod());
    String hostHeader = authority != null ? authority : logical;
    boolean local = a.isLocalReply();
    r.headers(h -> {
      h.clear();
      h.add(request.getHeaders());
      if (authority != null || (address != null && !h.contains(HttpHeader.HOST))) {
        h.put(HttpHeader.HOST, hostHeader);
      }
      call.editRequest(new FieldsSink(h));
      if (local) {
        h.put(Mesh.LOCAL_REPLY_HEADER, a.localReplyToken());
      } else {
        h.remove(Mesh.LOCAL_REPLY_HEADER);
      }
    });
    Request.Content body = request.getBody();
    if (body != null) {
      if (attempts > 0) {
        body.rewind();
      }
      r.body(body);
    }
    attempts++;
    r.idleTimeout(request.getIdleTimeout(), TimeUnit.MILLISECONDS);
    r.followRedirects(request.isFollowRedirects());
    r.tag(request.getTag());
    request.getCookies().forEach(r::cookie);
    for (Map.Entry<String, Object> e : request.getAttributes().entrySet()) {
      if (!CALL.equals(e.getKey())) {
        r.attribute(e.getKey(), e.getValue());
      }
    }
    r.attribute(ATTEMPT, Boolean.TRUE);
    return r;
  }

  /** The Host header Jetty itself would send for the application's request. */
  private static String hostHeader(Request request) {
    String host = request.getHost();
    if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    int port = request.getPort();
    return port <= 0 || port == 80 ? host : host + ":" + port;
  }

  /** Events of one attempt: held until its headers decide; then dropped (drained) or passed on. */
  final class AttemptListener implements Response.Listener {
    private final Attempt attempt;
    private final boolean meshBinds;
    private boolean decided;
    private boolean delivered;

    AttemptListener(Attempt attempt, boolean meshBinds) {
      this.attempt = attempt;
      this.meshBinds = meshBinds;
    }

    @Override
    public void onHeaders(Response response) {
      decided = true;
      int verdict;
      try {
        verdict = attempt.onResponse(response.getStatus(), response.getHeaders()::get);
      } catch (Throwable t) {
        Mesh.failed("jetty-client", t);
        verdict = Attempt.DELIVER;
      }
      if (verdict != Attempt.DELIVER) {
        return;
      }
      delivered = true;
      if (response instanceof HttpResponse) {
        try {
          ((HttpResponse) response).headers(h -> call.editResponse(new FieldsSink(h)));
        } catch (Throwable t) {
          Mesh.failed("jetty-client", t);
        }
      }
      ResponseListeners rl = listeners();
      rl.notifyBegin(response);
      for (HttpField f : response.getHeaders()) {
        rl.notifyHeader(response, f);
      }
      rl.notifyHeaders(response);
    }

    @Override
    public void onContentSource(Response response, Content.Source source) {
      if (delivered) {
        ResponseListeners rl = listeners();
        if (rl.hasContentSourceListeners()) {
          rl.notifyContentSource(response, source);
          return;
        }
      }
      // a dropped response, or nobody reads the content: drained, so the connection is reused
      Response.Listener.super.onContentSource(response, source);
    }

    @Override
    public void onSuccess(Response response) {
      if (delivered) {
        listeners().notifySuccess(response);
      }
    }

    @Override
    public void onFailure(Response response, Throwable failure) {
      if (delivered) {
        listeners().notifyFailure(response, failure);
      }
    }

    @Override
    public void onComplete(Result result) {
      if (delivered) {
        attempt.onEnd();
        complete(new Result(request, result.getRequestFailure(), result.getResponse(), result.getResponseFailure()));
        return;
      }
      if (decided && !result.isFailed()) {
        attempt.onEnd(); // a dropped response, drained: the next attempt after the backoff
        later(JettyMeshCall.this::next, attempt.backoffNanos());
        return;
      }
      Throwable failure = result.getFailure();
      if (aborted != null) {
        attempt.onEnd();
        failApp(aborted);
        return;
      }
      boolean timeout = isTimeout(failure);
      if (timeout && !meshBinds) {
        attempt.onEnd(); // the application's own total timeout (Jetty's words for it): the call is over
        failApp(appTimeout());
        return;
      }
      boolean connect = !decided && connectFailure(failure);
      afterFailure(attempt, failure, timeout && !decided, !connect);
    }
  }

  private void afterFailure(Attempt a, Throwable failure, boolean timedOut, boolean requestSent) {
    int verdict;
    try {
      verdict = a.onFailure(failure, timedOut, requestSent);
    } catch (Throwable t) {
      Mesh.failed("jetty-client", t);
      verdict = Attempt.FAIL;
    }
    if (verdict == Attempt.AGAIN) {
      later(this::next, a.backoffNanos());
    } else {
      failApp(failure);
    }
  }

  private void abort(Throwable cause) {
    if (finished) {
      return;
    }
    aborted = cause;
    Request c = current;
    if (c != null) {
      c.abort(cause);
    }
  }

  /** The application's listeners: those on its request and the one it passed to {@code send}. */
  private synchronized ResponseListeners listeners() {
    ResponseListeners rl = request.getResponseListeners();
    if (!listenersAdded) {
      listenersAdded = true;
      if (listener != null) {
        rl.addCompleteListener(listener, true);
      }
    }
    return rl;
  }

  private void complete(Result result) {
    finished = true;
    request.getAttributes().remove(CALL);
    listeners().notifyComplete(result);
  }

  /** The call fails as Jetty fails a request: failure listeners, then complete with the failure. */
  private void failApp(Throwable failure) {
    if (finished) {
      return;
    }
    try {
      HttpResponse response = new HttpResponse(request);
      listeners().notifyFailure(response, failure);
      complete(new Result(request, failure, response, failure));
    } catch (Throwable t) {
      Mesh.failed("jetty-client", t);
    }
  }

  private TimeoutException appTimeout() {
    return new TimeoutException("Total timeout " + appTimeoutMillis + " ms elapsed");
  }

  private long appLeftNanos() {
    return appDeadline == 0 ? Long.MAX_VALUE : appDeadline - System.nanoTime();
  }

  /** Runs {@code task} after {@code nanos} on the client's scheduler (never sleeping on a thread), capped by the application's timeout. */
  private void later(Runnable task, long nanos) {
    Runnable guarded = () -> {
      try {
        task.run();
      } catch (Throwable t) {
        Mesh.failed("jetty-client", t);
        failApp(t);
      }
    };
    if (appDeadline != 0 && nanos > 0 && nanos >= appLeftNanos()) {
      nanos = Math.max(0, appLeftNanos());
      guarded = () -> failApp(appTimeout());
    }
    if (nanos <= 0) {
      client.getExecutor().execute(guarded);
    } else {
      client.getScheduler().schedule(guarded, nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Tells the engine whether the body can be sent again: none, or rewindable and of known small length. */
  private void prepareBody() {
    Request.Content body = request.getBody();
    if (body == null) {
      call.bodyReplayable(true);
      return;
    }
    long length = body.getLength();
    call.bodyReplayable(length >= 0 && length <= OutboundCall.MAX_REPLAY_BYTES && body.rewind());
  }

  private void mirror() {
    try {
      if (!call.mirrors()) {
        return;
      }
      byte[] body = bodyCopy();
      if (body == null) {
        return;
      }
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (HttpField f : request.getHeaders()) {
        headers.computeIfAbsent(f.getName(), k -> new ArrayList<>()).add(f.getValue());
      }
      String path = call.rewrittenPath() != null ? call.rewrittenPath() : JettyRequestView.pathOf(request);
      call.mirror(new MirrorRequest(request.getMethod(), path, headers, body));
    } catch (Throwable t) {
      Mesh.failed("jetty-client", t);
    }
  }

  /** A copy of an in-memory, rewindable body (then rewound for the first attempt), or null. */
  private byte[] bodyCopy() {
    Request.Content body = request.getBody();
    if (body == null) {
      return new byte[0];
    }
    long length = body.getLength();
    if (length < 0 || length > OutboundCall.MAX_REPLAY_BYTES || !body.rewind()) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) length);
    for (int i = 0; i < 1024; i++) {
      Content.Chunk chunk = body.read();
      if (chunk == null || chunk.getFailure() != null) {
        body.rewind();
        return null;
      }
      ByteBuffer b = chunk.getByteBuffer().duplicate();
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      out.write(bytes, 0, bytes.length);
      boolean last = chunk.isLast();
      chunk.release();
      if (last) {
        body.rewind();
        return out.toByteArray();
      }
    }
    body.rewind();
    return null;
  }

  private static boolean isTimeout(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof TimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** A failure before anything was sent: the endpoint could not be reached. */
  private static boolean connectFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ConnectException || c instanceof NoRouteToHostException || c instanceof UnknownHostException || c instanceof SSLHandshakeException) {
        return true;
      }
      if (c instanceof SocketTimeoutException && c.getMessage() != null && c.getMessage().toLowerCase(Locale.ROOT).contains("connect")) {
        return true;
      }
    }
    return false;
  }
}
