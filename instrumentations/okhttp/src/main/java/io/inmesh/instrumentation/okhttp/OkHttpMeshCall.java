package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.MirrorRequest;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.UpstreamTls;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;

/**
 * One OkHttp call through the mesh's lifecycle, inside {@link MeshInterceptor}: the injected delay,
 * then one {@code chain.proceed} per attempt, each to the attempt's endpoint.
 *
 * <ul>
 *   <li><b>Endpoint per attempt.</b> The attempt's request has the endpoint's address as URL host
 *       and port and the logical name (or the route's rewritten authority) as its {@code Host}
 *       header, which OkHttp's {@code BridgeInterceptor} keeps. OkHttp pools connections by URL
 *       host and port, so its pool is per physical endpoint. The application gets its own request
 *       back as {@code response.request()} (the logical URL).
 *   <li><b>Timeouts.</b> The attempt's deadline (per-try timeout, or what is left of the route's)
 *       becomes the read, write and connect timeouts of that {@code proceed}
 *       ({@code Chain.withReadTimeout} and siblings) when it is shorter than the client's own; a
 *       {@code SocketTimeoutException} then is the mesh's timeout and the engine answers 504 or
 *       retries. OkHttp's read timeout bounds each read, so the per-try timeout is exact for the
 *       usual case (an upstream slow to send its headers) and, for one that trickles bytes, holds
 *       per read. The application's own {@code callTimeout} keeps covering the whole call (delay,
 *       attempts, backoff): OkHttp cancels the call and this loop stops at once.
 *   <li><b>Local answers</b> (fault abort, 503 overflow or no healthy upstream, 504, direct
 *       responses) are built here as OkHttp {@code Response}s, never sent: OkHttp's own
 *       {@code retryOnConnectionFailure} (which re-sends a 408) and follow-ups sit below this
 *       interceptor and never see them.
 *   <li><b>Delays and backoff</b> sleep on the calling thread, in short slices that watch for the
 *       call's cancellation (its {@code callTimeout}). For {@code enqueue} that thread is a dispatcher
 *       thread: OkHttp runs every asynchronous call's blocking I/O there, and behind a sidecar the
 *       same thread would sit in a socket read for the same delay, so no thread is held longer than
 *       the call itself needs.
 * </ul>
 */
final class OkHttpMeshCall {
  /** Longest single sleep between checks of the call's cancellation. */
  private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final Interceptor.Chain chain;
  private final Request request;
  private final OutboundCall call;
  /** True when the delivered response is one the mesh answered itself. */
  private boolean answeredLocally;

  OkHttpMeshCall(Interceptor.Chain chain, Request request, OutboundCall call) {
    this.chain = chain;
    this.request = request;
    this.call = call;
  }

  Response run() throws IOException {
    byte[] replay = prepare();
    long delay = call.delayNanos();
    long spentMillis = 0;
    if (delay > 0) {
      int ownRead = chain.readTimeoutMillis();
      if (ownRead > 0 && delay >= TimeUnit.MILLISECONDS.toNanos(ownRead)) {
        // the delay outlasts the application's read timeout: behind a sidecar that read would time out
        pause(TimeUnit.MILLISECONDS.toNanos(ownRead));
        throw new SocketTimeoutException("timeout");
      }
      pause(delay);
      spentMillis = TimeUnit.NANOSECONDS.toMillis(delay);
    }
    boolean mirrored = false;
    for (;;) {
      Attempt attempt = call.startAttempt();
      if (!mirrored) {
        mirrored = true;
        mirror(replay);
      }
      Response response;
      if (attempt.isLocalReply()) {
        response = LocalAnswers.answer(attempt, request);
      } else {
        Interceptor.Chain c = chain;
        boolean meshTimeout = false;
        int ownRead = chain.readTimeoutMillis();
        long read = ownRead > 0 && spentMillis > 0 ? Math.max(1, ownRead - spentMillis) : ownRead;
        spentMillis = 0;
        long meshMillis = attempt.timeoutMillis();
        if (meshMillis > 0 && (read == 0 || meshMillis <= read)) {
          read = meshMillis;
          meshTimeout = true;
          int ownWrite = chain.writeTimeoutMillis();
          if (ownWrite == 0 || meshMillis < ownWrite) {
            c = c.withWriteTimeout(millis(meshMillis), TimeUnit.MILLISECONDS);
          }
        }
        if (read != ownRead) {
          c = c.withReadTimeout(millis(read), TimeUnit.MILLISECONDS);
        }
        int connect = attempt.connectTimeoutMillis();
        if (meshTimeout && (connect == 0 || meshMillis < connect)) {
          connect = millis(meshMillis);
        }
        int ownConnect = chain.connectTimeoutMillis();
        if (connect > 0 && (ownConnect == 0 || connect < ownConnect)) {
          c = c.withConnectTimeout(connect, TimeUnit.MILLISECONDS);
        }
        try {
          UpstreamTls tls = attempt.tls();
          if (tls == null) {
            response = c.proceed(attemptRequest(attempt));
          } else {
            response = proceedOverMtls(c, attempt, tls);
          }
        } catch (IOException e) {
          if (chain.call().isCanceled()) {
            attempt.onEnd(); // the application's callTimeout or cancel(): the call is over
            throw e;
          }
          boolean connectFailure = connectFailure(e);
          int verdict = attempt.onFailure(e, meshTimeout && e instanceof SocketTimeoutException && !connectFailure, !connectFailure);
          if (verdict != Attempt.AGAIN) {
            throw e;
          }
          pause(attempt.backoffNanos());
          continue;
        } catch (RuntimeException | Error e) {
          attempt.onEnd();
          throw e;
        }
      }
      Response r = response;
      int verdict = attempt.onResponse(r.code(), r::header);
      if (verdict == Attempt.DELIVER) {
        answeredLocally = attempt.isLocalReply();
        return deliver(r, attempt);
      }
      discard(r);
      attempt.onEnd();
      pause(attempt.backoffNanos());
    }
  }

  boolean answeredLocally() {
    return answeredLocally;
  }

  /**
   * The request one attempt sends: the route's edits, the endpoint's address, the logical Host.
   * Should inmesh fail to build it, the application's own request goes instead (fail open).
   */
  private Request attemptRequest(Attempt attempt) {
    try {
      return buildAttemptRequest(attempt, null);
    } catch (RuntimeException e) {
      Mesh.failed("okhttp", e);
      return request;
    }
  }

  /**
   * An attempt over mesh mTLS: the same request (its URL stays {@code http://}), while OkHttp makes
   * its address on this thread that address is a TLS one ({@link MeshTlsAddress}). Fails closed: what
   * cannot be set up is a handshake failure (a connect failure to the engine), never plain text.
   */
  private Response proceedOverMtls(Interceptor.Chain c, Attempt attempt, UpstreamTls tls) throws IOException {
    MeshTlsAddress.Kit kit = MeshTlsAddress.kit(tls);
    Request r;
    try {
      r = buildAttemptRequest(attempt, kit);
    } catch (RuntimeException e) {
      Mesh.failed("okhttp-mtls", e);
      throw MeshTlsAddress.refused("inmesh: the mTLS attempt could not be built (" + e + "); it is not sent in plain text", e);
    }
    MeshTlsAddress.Target previous = MeshTlsAddress.connecting(r.url(), kit);
    try {
      return c.proceed(r);
    } finally {
      MeshTlsAddress.done(previous);
    }
  }

  private Request buildAttemptRequest(Attempt attempt, MeshTlsAddress.Kit kit) {
    Request.Builder b = request.newBuilder();
    call.editRequest(new RequestHeaderSink(b));
    HttpUrl url = request.url();
    String path = call.rewrittenPath();
    String authority = call.rewrittenAuthority();
    InetSocketAddress address = attempt.address();
    if (address != null) {
      String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
      HttpUrl.Builder u = url.newBuilder().host(host).port(address.getPort());
      withPath(u, path);
      HttpUrl target = u.build();
      b.url(target).tag(AttemptTarget.class, new AttemptTarget(target.host(), target.port(), kit));
      if (authority != null || request.header("Host") == null) {
        b.header("Host", authority != null ? authority : OkHttpRequestView.hostHeader(url));
      }
    } else if (path != null || authority != null) {
      // a pass-through destination: the library resolves the (rewritten) host itself
      HttpUrl.Builder u = authority != null ? HttpUrl.get(url.scheme() + "://" + authority + "/").newBuilder() : url.newBuilder();
      withPath(u, path != null ? path : OkHttpRequestView.pathOf(url));
      b.url(u.build());
    }
    if (address == null && kit != null) {
      HttpUrl target = b.build().url();
      b.tag(AttemptTarget.class, new AttemptTarget(target.host(), target.port(), kit));
    }
    return b.build();
  }

  private static void withPath(HttpUrl.Builder u, String pathAndQuery) {
    if (pathAndQuery == null) {
      return;
    }
    HttpUrl p = HttpUrl.get("http://path.invalid" + (pathAndQuery.startsWith("/") ? "" : "/") + pathAndQuery);
    u.encodedPath(p.encodedPath()).encodedQuery(p.encodedQuery());
  }

  /** The response the application gets: its own request, the route's header edits, a body that ends the attempt. */
  private Response deliver(Response response, Attempt attempt) {
    Response.Builder b = response.newBuilder().request(request);
    call.editResponse(new ResponseHeaderSink(b));
    ResponseBody body = response.body();
    if (body == null) {
      attempt.onEnd();
    } else {
      b.body(new EndingBody(body, attempt));
    }
    return b.build();
  }

  /** Drains a dropped response (up to 64 KiB, so its connection goes back to the pool) and closes it. */
  private static void discard(Response response) {
    ResponseBody body = response.body();
    if (body == null) {
      return;
    }
    try {
      BufferedSource source = body.source();
      Buffer sink = new Buffer();
      long left = OutboundCall.MAX_REPLAY_BYTES;
      while (left > 0) {
        long n = source.read(sink, Math.min(8192, left));
        if (n < 0) {
          break;
        }
        left -= n;
        sink.clear();
      }
    } catch (IOException | RuntimeException ignored) {
      // the connection is not reused; nothing else is lost
    } finally {
      body.close();
    }
  }

  /**
   * Tells the engine whether the body can be sent again and returns a copy for the mirrors: OkHttp
   * writes a body by calling {@code writeTo} once per send, which every body but a one-shot or duplex
   * one allows again.
   */
  private byte[] prepare() {
    RequestBody body = request.body();
    if (body == null) {
      call.bodyReplayable(true);
      return new byte[0];
    }
    long length;
    try {
      length = body.contentLength();
    } catch (IOException e) {
      length = -1;
    }
    boolean replayable = !body.isOneShot() && !body.isDuplex() && length >= 0 && length <= OutboundCall.MAX_REPLAY_BYTES;
    call.bodyReplayable(replayable);
    if (!replayable || !call.mirrors()) {
      return null;
    }
    try {
      Buffer copy = new Buffer();
      body.writeTo(copy);
      return copy.readByteArray();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private void mirror(byte[] body) {
    if (body == null || !call.mirrors()) {
      return;
    }
    try {
      String path = call.rewrittenPath() != null ? call.rewrittenPath() : OkHttpRequestView.pathOf(request.url());
      call.mirror(new MirrorRequest(request.method(), path, request.headers().toMultimap(), body));
    } catch (Throwable t) {
      Mesh.failed("okhttp", t);
    }
  }

  /** Sleeps, in slices, until done or the call is cancelled (the application's callTimeout or cancel()). */
  private void pause(long nanos) throws IOException {
    if (nanos <= 0) {
      return;
    }
    long end = System.nanoTime() + nanos;
    try {
      for (long left = nanos; left > 0; left = end - System.nanoTime()) {
        if (chain.call().isCanceled()) {
          // OkHttp turns this into its InterruptedIOException("timeout") when its callTimeout fired
          throw new IOException("Canceled");
        }
        TimeUnit.NANOSECONDS.sleep(Math.min(left, SLICE_NANOS));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
    if (chain.call().isCanceled()) {
      throw new IOException("Canceled");
    }
  }

  private static int millis(long m) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, m));
  }

  /** A failure before anything was sent: the endpoint could not be reached. */
  private static boolean connectFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ConnectException || c instanceof NoRouteToHostException || c instanceof UnknownHostException
          || c instanceof SSLHandshakeException || c instanceof SSLPeerUnverifiedException) {
        // a TLS handshake comes before any byte of the request (mesh mTLS: a refused server identity)
        return true;
      }
      if (c instanceof SocketTimeoutException && c.getMessage() != null && c.getMessage().toLowerCase(Locale.ROOT).contains("connect")) {
        return true;
      }
    }
    return false;
  }
}
