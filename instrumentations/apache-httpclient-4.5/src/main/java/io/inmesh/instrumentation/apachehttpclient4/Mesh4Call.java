package io.inmesh.instrumentation.apachehttpclient4;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.MirrorRequest;
import io.inmesh.bootstrap.OutboundCall;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.HttpEntityEnclosingRequest;
import org.apache.http.HttpException;
import org.apache.http.HttpHost;
import org.apache.http.HttpMessage;
import org.apache.http.HttpRequest;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpExecutionAware;
import org.apache.http.client.methods.HttpRequestWrapper;
import org.apache.http.client.methods.RequestBuilder;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.conn.ConnectTimeoutException;
import org.apache.http.conn.routing.HttpRoute;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.HttpEntityWrapper;
import org.apache.http.impl.execchain.ClientExecChain;
import org.apache.http.util.EntityUtils;

/**
 * One logical call of a 4.5 client, on the application's thread, as {@code ClassicMeshCall} does
 * for 5.x: the injected delay, then one attempt per try, each a copy of the request (its URI, hence
 * the Host header, keeps the logical name; the route's rewrites and header edits applied) sent on a
 * route whose target is the attempt's endpoint ({@code HttpHost(127.0.0.11, "127.0.0.11", 8080)}:
 * Apache pools by route, so per endpoint), with the attempt's deadline as the socket timeout.
 */
final class Mesh4Call {
  private final ClientExecChain next;
  private final HttpRoute route;
  private final HttpRequestWrapper request;
  private final Mesh4ExecChain.View view;
  private final HttpClientContext context;
  private final HttpExecutionAware execAware;
  private final OutboundCall call;
  private final RequestConfig own;
  private HttpEntity entity;

  Mesh4Call(ClientExecChain next, HttpRoute route, HttpRequestWrapper request, Mesh4ExecChain.View view, HttpClientContext context, HttpExecutionAware execAware, OutboundCall call) {
    this.next = next;
    this.route = route;
    this.request = request;
    this.view = view;
    this.context = context;
    this.execAware = execAware;
    this.call = call;
    RequestConfig c = context.getRequestConfig();
    this.own = c != null ? c : RequestConfig.DEFAULT;
    this.entity = request instanceof HttpEntityEnclosingRequest ? ((HttpEntityEnclosingRequest) request).getEntity() : null;
  }

  CloseableHttpResponse run() throws IOException, HttpException {
    prepare();
    long delay = call.delayNanos();
    long ownTimeout = own.getSocketTimeout() > 0 ? TimeUnit.MILLISECONDS.toNanos(own.getSocketTimeout()) : 0;
    if (delay > 0 && ownTimeout > 0 && delay >= ownTimeout) {
      sleep(ownTimeout);
      throw new SocketTimeoutException("Read timed out");
    }
    sleep(delay);
    for (;;) {
      if (execAware != null && execAware.isAborted()) {
        throw new InterruptedIOException("Request aborted");
      }
      Attempt attempt = call.startAttempt();
      HttpRequestWrapper copy = attemptRequest(attempt);
      boolean meshTimeout = applyTimeouts(attempt);
      CloseableHttpResponse response = null;
      IOException failure = null;
      HttpRoute attemptRoute = route(attempt);
      String scheme = attemptRoute.getTargetHost().getSchemeName();
      Object[] saved = Mesh4Tls.enter(context, Mesh4Tls.isMesh(scheme) ? scheme : null);
      context.setAttribute(Mesh4ExecChain.ATTEMPT_ATTRIBUTE, Boolean.TRUE);
      try {
        response = next.execute(attemptRoute, copy, context, execAware);
      } catch (IOException e) {
        failure = e;
      } catch (HttpException | RuntimeException e) {
        attempt.onFailure(e, false, true);
        throw e;
      } finally {
        context.removeAttribute(Mesh4ExecChain.ATTEMPT_ATTRIBUTE);
        context.setRequestConfig(own);
        Mesh4Tls.exit(context, saved);
      }
      int verdict;
      if (response != null) {
        CloseableHttpResponse r = response;
        verdict = attempt.onResponse(r.getStatusLine().getStatusCode(), name -> first(r, name));
      } else {
        verdict = attempt.onFailure(failure, meshTimeout && failure instanceof SocketTimeoutException && !(failure instanceof ConnectTimeoutException), sent(failure));
      }
      if (response == null && verdict != Attempt.AGAIN) {
        throw failure;
      }
      if (verdict != Attempt.AGAIN) {
        return deliver(response, attempt);
      }
      if (response != null) {
        try {
          EntityUtils.consume(response.getEntity());
        } catch (IOException ignored) {
          // the connection is discarded instead
        }
        response.close();
        attempt.onEnd();
      }
      sleep(attempt.backoffNanos());
    }
  }

  private CloseableHttpResponse deliver(CloseableHttpResponse response, Attempt attempt) {
    try {
      call.editResponse(new Headers(response));
    } catch (Throwable t) {
      Mesh.failed("apache-httpclient-4.5", t);
    }
    HttpEntity body = response.getEntity();
    if (body == null) {
      attempt.onEnd();
    } else {
      response.setEntity(new Ending(body, attempt));
    }
    return response;
  }

  /**
   * The attempt's route: to its endpoint, with the scheme of its mesh TLS when it goes out over mTLS
   * ({@link Mesh4Tls}: pooled apart from plain connections, per expected identity set). The route
   * stays "not secure": the application's URL is {@code http://}.
   */
  private HttpRoute route(Attempt attempt) {
    InetSocketAddress a = attempt.address();
    io.inmesh.bootstrap.UpstreamTls tls = attempt.tls();
    if (a == null && tls == null) {
      return route;
    }
    String scheme = tls == null ? "http" : Mesh4Tls.scheme(tls);
    if (a == null) {
      HttpHost t = route.getTargetHost();
      HttpHost target = t.getAddress() != null ? new HttpHost(t.getAddress(), t.getHostName(), t.getPort(), scheme) : new HttpHost(t.getHostName(), t.getPort(), scheme);
      return new HttpRoute(target, route.getLocalAddress(), false);
    }
    String ip = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    HttpHost target = a.getAddress() != null ? new HttpHost(a.getAddress(), ip, a.getPort(), scheme) : new HttpHost(ip, a.getPort(), scheme);
    return new HttpRoute(target, route.getLocalAddress(), false);
  }

  private HttpRequestWrapper attemptRequest(Attempt attempt) {
    HttpRequest base = request;
    String path = call.rewrittenPath();
    String authority = call.rewrittenAuthority();
    URI uri = view.uri();
    if ((path != null || authority != null) && uri != null && uri.isAbsolute()) {
      String p = path != null ? path : view.path();
      String a = authority != null ? authority : uri.getRawAuthority();
      base = RequestBuilder.copy(request).setUri(URI.create(uri.getScheme() + "://" + a + p)).build();
    }
    HttpRequestWrapper copy = HttpRequestWrapper.wrap(base, request.getTarget());
    if (entity != null && copy instanceof HttpEntityEnclosingRequest) {
      ((HttpEntityEnclosingRequest) copy).setEntity(entity);
    }
    call.editRequest(new Headers(copy));
    if (attempt.isLocalReply()) {
      copy.setHeader(Mesh.LOCAL_REPLY_HEADER, attempt.localReplyToken());
    }
    return copy;
  }

  private boolean applyTimeouts(Attempt attempt) {
    long meshMillis = attempt.timeoutMillis();
    int connectMillis = attempt.connectTimeoutMillis();
    int ownMillis = own.getSocketTimeout();
    boolean mesh = meshMillis > 0 && (ownMillis <= 0 || ownMillis >= meshMillis);
    if (!mesh && connectMillis <= 0) {
      return false;
    }
    RequestConfig.Builder b = RequestConfig.copy(own);
    if (mesh) {
      b.setSocketTimeout((int) Math.min(Integer.MAX_VALUE, meshMillis));
    }
    if (connectMillis > 0) {
      b.setConnectTimeout(connectMillis);
    }
    context.setRequestConfig(b.build());
    return mesh;
  }

  /** Whether the body can be sent again (buffering a small non-repeatable one), and the mirrors' copy. */
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
        if (small && (!entity.isRepeatable() || call.mirrors())) {
          ByteArrayOutputStream out = new ByteArrayOutputStream((int) length);
          entity.writeTo(out);
          bytes = out.toByteArray();
          ByteArrayEntity copy = new ByteArrayEntity(bytes);
          copy.setContentType(entity.getContentType());
          copy.setContentEncoding(entity.getContentEncoding());
          entity = copy;
        }
        replayable = small;
      }
    } catch (Throwable t) {
      Mesh.failed("apache-httpclient-4.5", t);
      replayable = false;
    }
    call.bodyReplayable(replayable);
    if (bytes != null && call.mirrors()) {
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (Header h : request.getAllHeaders()) {
        headers.computeIfAbsent(h.getName(), k -> new ArrayList<>(1)).add(h.getValue());
      }
      String p = call.rewrittenPath() != null ? call.rewrittenPath() : view.path();
      call.mirror(new MirrorRequest(view.method(), p, headers, bytes));
    }
  }

  static String first(HttpMessage m, String name) {
    Header h = m.getFirstHeader(name);
    return h == null ? null : h.getValue();
  }

  static boolean sent(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof javax.net.ssl.SSLHandshakeException || c instanceof ConnectException || c instanceof ConnectTimeoutException || c instanceof UnknownHostException || c instanceof NoRouteToHostException) {
        return false;
      }
    }
    return true;
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

  /** The route's header operations on a 4.x message. */
  static final class Headers implements HeaderSink, java.util.function.Function<String, String> {
    private final HttpMessage message;

    Headers(HttpMessage message) {
      this.message = message;
    }

    /** The first value of a header, or null, for {@code Mesh.propagate}. */
    @Override
    public String apply(String name) {
      org.apache.http.Header h = message.getFirstHeader(name);
      return h == null ? null : h.getValue();
    }

    @Override
    public void set(String name, String value) {
      message.setHeader(name, value);
    }

    @Override
    public void add(String name, String value) {
      message.addHeader(name, value);
    }

    @Override
    public void remove(String name) {
      message.removeHeaders(name);
    }
  }

  /** A delivered entity that ends the attempt when its body is read to the end or closed. */
  static final class Ending extends HttpEntityWrapper {
    private final Attempt attempt;
    private final AtomicBoolean ended = new AtomicBoolean();

    Ending(HttpEntity wrapped, Attempt attempt) {
      super(wrapped);
      this.attempt = attempt;
    }

    void end() {
      if (ended.compareAndSet(false, true)) {
        attempt.onEnd();
      }
    }

    @Override
    public InputStream getContent() throws IOException {
      InputStream in = super.getContent();
      return in == null ? null : new FilterInputStream(in) {
        @Override
        public int read() throws IOException {
          int b = super.read();
          if (b < 0) {
            end();
          }
          return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
          int n = super.read(buf, off, len);
          if (n < 0) {
            end();
          }
          return n;
        }

        @Override
        public void close() throws IOException {
          try {
            super.close();
          } finally {
            end();
          }
        }
      };
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
      try {
        super.writeTo(out);
      } finally {
        end();
      }
    }
  }
}
