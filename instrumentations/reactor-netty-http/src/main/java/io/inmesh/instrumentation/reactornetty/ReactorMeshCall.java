package io.inmesh.instrumentation.reactornetty;

import io.inmesh.bootstrap.ApplicationRetries;
import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.MirrorRequest;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.UpstreamTls;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.timeout.ReadTimeoutException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLHandshakeException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientConfig;
import reactor.netty.http.client.HttpClientResponse;
import reactor.util.context.ContextView;

/**
 * Runs one Reactor Netty request through the mesh's call lifecycle, as a Reactor chain that never
 * parks a thread.
 *
 * <p>{@link #take} replaces what {@code HttpClientConnect.connect()} returns — a {@code Mono} that
 * emits the connection once status and headers arrived, before the body — with a {@code Mono} that
 * emits the same thing for the delivered attempt:
 *
 * <ol>
 *   <li>at subscription, with the Reactor context of the caller (WebClient's headers ride in it):
 *       before the first snapshot, wait for it through {@link Mesh#beforeDecision} as a stage, never
 *       parking a thread (the event loop included); then one decision ({@link Mesh#outbound});
 *   <li>an injected delay is a {@code Mono.delay} on Reactor's timer;
 *   <li>each attempt: admission via {@link OutboundCall#startAttemptAsync()}, then an ordinary
 *       request through the same client's public API, to the endpoint's address, with the logical
 *       {@code Host}; the attempt's deadline is a Reactor {@code timeout} (cancelling it closes the
 *       in-flight exchange, as Reactor Netty does for any cancelled request);
 *   <li>status and headers go to {@link Attempt#onResponse}: DELIVER emits the connection (the
 *       application reads the body as usual; the attempt ends when Reactor Netty terminates the
 *       exchange), AGAIN drains the body back to the pool and tries again after a
 *       {@code Mono.delay} backoff; a failure goes to {@link Attempt#onFailure}.
 * </ol>
 *
 * <p>A cancelled subscription (the application's {@code timeout()}, {@code take}, a disposed
 * subscriber) cancels the attempt in flight, which Reactor Netty turns into closing that exchange,
 * and ends the attempt. Local answers (503 UH/UO, 504 UT, aborts) come from the agent's loopback
 * responder, so the application sees them as any Reactor Netty response.
 */
public final class ReactorMeshCall {
  /** Reactor context key under which WebClient's request headers ride (see {@link WebClientHeaders}). */
  public static final String REQUEST_HEADERS = "io.inmesh.reactor-netty.request-headers";

  /**
   * Headers of a Spring request whose Reactor Netty request is being assembled on this thread
   * (RestClient over ReactorClientHttpRequestFactory); see {@link RestClientRequestInstrumentation}.
   */
  private static final ThreadLocal<Map<String, List<String>>> ASSEMBLING = new ThreadLocal<>();

  public static void assemblingWith(Map<String, List<String>> headers) {
    if (headers == null) {
      ASSEMBLING.remove();
    } else {
      ASSEMBLING.set(headers);
    }
  }

  /** Set while an attempt's own {@code connect()} is assembled: that one passes through untouched. */
  private static final ThreadLocal<Boolean> ATTEMPT = new ThreadLocal<>();

  private static final Set<String> BODILESS = Set.of("GET", "HEAD", "DELETE", "OPTIONS", "TRACE");

  private final HttpClient client;
  private final URI uri;
  private final ReactorRequestView view;
  private final Map<String, List<String>> webClientHeaders;
  private final Duration ownResponseTimeout;
  /** The subscription runs under the application's own reactive retry (reactor-retry's context mark). */
  private boolean applicationRetried;
  private OutboundCall call;
  /** Time an injected delay took, taken off the application's own response timeout for the first attempt. */
  private long spentNanos;

  private ReactorMeshCall(HttpClient client, URI uri, String method, HttpHeaders configured, Map<String, List<String>> webClientHeaders, Duration ownResponseTimeout) {
    this.client = client;
    this.uri = uri;
    this.webClientHeaders = webClientHeaders;
    this.ownResponseTimeout = ownResponseTimeout;
    this.view = new ReactorRequestView(method, uri, configured, webClientHeaders);
  }

  /**
   * The replacement for {@code connect()}'s result, or null to let the client proceed untouched: an
   * attempt of a call already taken, a WebSocket, a proxied or TLS request, a URL only known later
   * ({@code uri(Mono)}), or an error inside inmesh. Whether the host is a mesh host is decided at
   * subscription, when the context (and the first snapshot) is there.
   */
  public static Mono<? extends Connection> take(HttpClient client) {
    if (ATTEMPT.get() != null || !(client instanceof HttpClient.RequestSender)) {
      return null;
    }
    try {
      HttpClientConfig config = client.configuration();
      if (config.hasProxy() || config.websocketClientSpec() != null || config.method() == null) {
        return null;
      }
      URI uri = absolute(config);
      if (uri == null || !"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
        return null;
      }
      String method = config.method().name();
      HttpHeaders configured = config.headers();
      Duration own = config.responseTimeout();
      Map<String, List<String>> assembling = ASSEMBLING.get();
      return Mono.deferContextual(ctx -> {
        Map<String, List<String>> h = headersIn(ctx);
        ReactorMeshCall call = new ReactorMeshCall(client, uri, method, configured, h != null ? h : assembling, own);
        call.applicationRetried = ctx.hasKey(ApplicationRetries.REACTOR_CONTEXT_KEY);
        return call.run();
      });
    } catch (Throwable t) {
      Mesh.failed("reactor-netty-http", t);
      return null;
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, List<String>> headersIn(ContextView ctx) {
    Object h = ctx.getOrDefault(REQUEST_HEADERS, null);
    return h instanceof Map ? (Map<String, List<String>>) h : null;
  }

  /** The request URL, absolute, or null when the client has none yet. */
  private static URI absolute(HttpClientConfig config) {
    String u = config.uri();
    if (u == null) {
      return null;
    }
    if (u.startsWith("/")) {
      String base = config.baseUrl();
      if (base == null || base.startsWith("/")) {
        return null;
      }
      u = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + u;
    }
    if (!u.regionMatches(true, 0, "http://", 0, 7)) {
      return null;
    }
    try {
      return URI.create(u);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  // ---- the call -----------------------------------------------------------------------------------

  private Mono<Connection> run() {
    CompletionStage<Void> wait;
    try {
      wait = Mesh.beforeDecision(uri.getHost());
    } catch (Throwable t) {
      wait = null;
    }
    if (wait != null) {
      // before the first snapshot: decide once it is in (or the start-up wait is over); no thread parked
      return Mono.fromCompletionStage(wait).onErrorResume(e -> Mono.empty()).then(Mono.defer(this::decide));
    }
    return decide();
  }

  private Mono<Connection> decide() {
    OutboundCall c;
    if (applicationRetried) {
      // the call's one decision reads ApplicationRetries on this thread: scope it to the decision
      ApplicationRetries.enter();
      try {
        c = Mesh.outbound(view);
      } finally {
        ApplicationRetries.exit();
      }
    } else {
      c = Mesh.outbound(view);
    }
    if (c == null) {
      return untouched();
    }
    call = c;
    long delay;
    try {
      prepare();
      delay = c.delayNanos();
    } catch (Throwable t) {
      // fail open: nothing was sent yet, the call proceeds as if inmesh were absent
      Mesh.failed("reactor-netty-http", t);
      return untouched();
    }
    if (delay > 0) {
      if (ownResponseTimeout != null && delay >= ownResponseTimeout.toNanos()) {
        // an injected delay is time the application waits for its response, as behind a sidecar
        return Mono.delay(ownResponseTimeout).then(Mono.error(ReadTimeoutException.INSTANCE));
      }
      spentNanos = delay;
      return Mono.delay(Duration.ofNanos(delay)).then(Mono.defer(this::nextAttempt));
    }
    return nextAttempt();
  }

  /** Not a mesh call: the client's own request, exactly as if inmesh were absent. */
  private Mono<Connection> untouched() {
    HttpClient c = client;
    try {
      c = PassThroughTrace.of(client, view);
    } catch (Throwable t) {
      Mesh.failed("reactor-netty-http", t);
    }
    return assemble(c);
  }

  /**
   * Admission, then the attempt. A subscription cancelled while the admission waits for a pool slot
   * cancels the engine's stage, which withdraws it from the line at once (handing back a slot
   * granted meanwhile); an attempt the stage had already brought is ended instead.
   */
  private Mono<Connection> nextAttempt() {
    return Mono.defer(() -> {
      CompletableFuture<Attempt> admitted = call.startAttemptAsync().toCompletableFuture();
      AtomicBoolean claimed = new AtomicBoolean();
      return Mono.fromFuture(admitted, false)
          .doOnCancel(() -> admitted.thenAccept(a -> {
            if (a != null && claimed.compareAndSet(false, true)) {
              a.onEnd();
            }
          }))
          .flatMap(a -> claimed.compareAndSet(false, true) ? attempt(a) : Mono.empty());
    });
  }

  private Mono<Connection> attempt(Attempt a) {
    AtomicBoolean ended = new AtomicBoolean();
    Runnable end = () -> {
      if (ended.compareAndSet(false, true)) {
        a.onEnd();
      }
    };
    Mono<Connection> send;
    boolean meshDeadline = false;
    try {
      send = assemble(attemptClient(a));
      long deadline = a.deadlineNanos();
      meshDeadline = deadline != 0;
      if (meshDeadline) {
        long left = Math.max(1_000_000L, deadline - System.nanoTime());
        send = send.timeout(Duration.ofNanos(left), Schedulers.parallel());
      }
    } catch (SSLHandshakeException noMtls) {
      // the mesh's TLS could not be set up for this attempt: a connect failure (UF), never plain text
      send = Mono.error(noMtls);
    } catch (Throwable t) {
      end.run();
      return Mono.error(t);
    }
    boolean timeoutIsMesh = meshDeadline;
    return send
        .doOnCancel(end)
        .<Object>map(conn -> conn)
        .onErrorResume(t -> Mono.just(new Failed(t)))
        .flatMap(outcome -> {
          if (outcome instanceof Failed) {
            Throwable t = ((Failed) outcome).failure;
            int verdict;
            try {
              verdict = a.onFailure(t, timeoutIsMesh && t instanceof TimeoutException, sent(t));
            } catch (Throwable inner) {
              Mesh.failed("reactor-netty-http", inner);
              verdict = Attempt.FAIL;
            }
            if (verdict == Attempt.AGAIN) {
              return backoff(a).then(Mono.defer(this::nextAttempt));
            }
            return Mono.error(t);
          }
          Connection conn = (Connection) outcome;
          int verdict;
          try {
            HttpClientResponse response = (HttpClientResponse) conn;
            HttpHeaders headers = response.responseHeaders();
            verdict = a.onResponse(response.status().code(), headers::get);
            if (verdict == Attempt.DELIVER) {
              call.editResponse(new NettyHeaderSink(headers));
            }
          } catch (Throwable t) {
            // fail open: the application gets the response it would have got without inmesh
            Mesh.failed("reactor-netty-http", t);
            verdict = Attempt.DELIVER;
          }
          if (verdict == Attempt.DELIVER) {
            conn.onTerminate().subscribe(null, e -> end.run(), end);
            return Mono.just(conn);
          }
          // dropped: read the body to its end so the connection goes back to the pool
          conn.inbound().receive().subscribe(null, e -> end.run(), end);
          return backoff(a).then(Mono.defer(this::nextAttempt));
        });
  }

  private static Mono<Void> backoff(Attempt a) {
    long nanos = a.backoffNanos();
    return nanos > 0 ? Mono.delay(Duration.ofNanos(nanos)).then() : Mono.empty();
  }

  /**
   * The same client for one attempt: the endpoint's address in the URL (Reactor Netty pools by
   * remote address, so each endpoint has its own pool), the logical authority in {@code Host}, the
   * route's header edits and rewrites, and the local-reply token when the mesh answers itself.
   */
  private HttpClient attemptClient(Attempt a) throws SSLHandshakeException {
    String path = call.rewrittenPath() != null ? call.rewrittenPath() : ReactorRequestView.pathAndQuery(uri);
    String authority = call.rewrittenAuthority() != null ? call.rewrittenAuthority() : uri.getRawAuthority();
    InetSocketAddress address = a.address();
    boolean local = a.isLocalReply();
    UpstreamTls tls = local ? null : a.tls();
    URI target;
    if (tls != null) {
      // mesh mTLS: the same request to https://<endpoint> through the mesh's SslProvider (ReactorTlsOrigination)
      String endpoint = address != null
          ? literal(address) + ":" + address.getPort()
          : uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : 80);
      target = URI.create("https://" + endpoint + path);
    } else if (address != null) {
      target = URI.create("http://" + literal(address) + ":" + address.getPort() + path);
    } else if (call.rewrittenPath() == null && call.rewrittenAuthority() == null) {
      target = uri;
    } else {
      target = URI.create("http://" + authority + path);
    }
    String token = local ? a.localReplyToken() : null;
    OutboundCall c = call;
    HttpClient edited = client.headers(h -> {
      if (!h.contains(HttpHeaderNames.HOST)) {
        h.set(HttpHeaderNames.HOST, authority);
      }
      c.editRequest(new NettyHeaderSink(h));
      if (local) {
        h.set(Mesh.LOCAL_REPLY_HEADER, token);
      }
    });
    if (spentNanos > 0 && ownResponseTimeout != null) {
      edited = edited.responseTimeout(Duration.ofNanos(Math.max(1_000_000L, ownResponseTimeout.toNanos() - spentNanos)));
      spentNanos = 0;
    }
    if (tls != null) {
      try {
        edited = ReactorTlsOrigination.secure(edited, tls);
      } catch (Throwable t) {
        Mesh.failed("reactor-netty-http-mtls", t);
        SSLHandshakeException e = new SSLHandshakeException("inmesh: cannot originate mTLS for this attempt: " + t);
        e.initCause(t);
        throw e;
      }
    }
    return (HttpClient) ((HttpClient.RequestSender) edited).uri(target);
  }

  /**
   * The client's own request as a {@code Mono} of the connection with status and headers in,
   * through its public API; the {@code connect()} this assembles passes the advice untouched.
   */
  private static Mono<Connection> assemble(HttpClient c) {
    ATTEMPT.set(Boolean.TRUE);
    try {
      return ((HttpClient.RequestSender) c).responseConnection((response, connection) -> Mono.just(connection)).next();
    } finally {
      ATTEMPT.remove();
    }
  }

  /** Tells the engine the body can be sent again, and offers the mirrors a copy of a body-less request. */
  private void prepare() {
    // Reactor Netty sends the body by calling the application's send function again for each
    // request it makes (its own redirects and retries rely on it), and WebClient's body inserters
    // write afresh on each call: a body is replayable in this client's own terms.
    call.bodyReplayable(true);
    if (call.mirrors() && BODILESS.contains(view.method())) {
      Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      HttpHeaders configured = client.configuration().headers();
      for (String name : configured.names()) {
        headers.put(name, new ArrayList<>(configured.getAll(name)));
      }
      if (webClientHeaders != null) {
        headers.putAll(webClientHeaders);
      }
      String path = call.rewrittenPath() != null ? call.rewrittenPath() : view.path();
      call.mirror(new MirrorRequest(view.method(), path, headers, new byte[0]));
    }
  }

  private static String literal(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    String host = ip != null ? ip.getHostAddress() : address.getHostString();
    return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
  }

  /** Whether any of the request may have reached the server: not for a failure to connect or to get a pooled connection. */
  private static boolean sent(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      // a refused handshake (the server's identity, the mesh's roots): nothing reached the application
      if (c instanceof ConnectException || c instanceof UnknownHostException || c instanceof SSLHandshakeException) {
        return false;
      }
      String n = c.getClass().getName();
      if (n.endsWith(".PoolAcquireTimeoutException") || n.endsWith(".PoolAcquirePendingLimitException")) {
        return false;
      }
    }
    return true;
  }

  /** An attempt's failure, carried as a value so that the verdict is taken in one place. */
  static final class Failed {
    final Throwable failure;

    Failed(Throwable failure) {
      this.failure = failure;
    }
  }
}
