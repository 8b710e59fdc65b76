package io.inmesh.instrumentation.httpurlconnection;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.ConnectionUse;
import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.MirrorRequest;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.OutboundRequest;
import io.opentelemetry.instrumentation.api.util.VirtualField;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import sun.net.www.MessageHeader;
import sun.net.www.http.HttpClient;
import sun.net.www.http.PosterOutputStream;

/**
 * The call lifecycle for the JDK's {@code HttpURLConnection} ({@code new RestTemplate()},
 * {@code SimpleClientHttpRequestFactory}, many SDKs). The library has no interceptor API, so the
 * adapter follows its own send path:
 *
 * <ul>
 *   <li>{@code getNewHttpClient(url, …)} — where each connection attempt obtains its (possibly
 *       kept-alive) connection — starts an attempt and swaps the URL for the attempt's endpoint,
 *       so the keep-alive cache is per endpoint while the connection keeps its logical URL (Host
 *       header, {@code getURL()}, redirects);
 *   <li>{@code HttpClient.writeRequests} applies the route's header edits and keeps the request head;
 *   <li>{@code HttpClient.parseHTTP} reports status and headers to the engine before the
 *       application sees them, with the attempt's deadline as the read timeout when it is shorter
 *       than the application's;
 *   <li>a retry runs through the connection's own redirect loop ({@code followRedirect()} answers
 *       "again"), so the library reconnects and re-sends as it does for a redirect; a streamed body
 *       (Spring's fixed-length or chunked streaming) is re-sent from a copy of at most 64 KiB;
 *   <li>a connect failure is retried in {@code connect()}.
 * </ul>
 */
public final class UrlConnectionLifecycle {
  private static final VirtualField<sun.net.www.protocol.http.HttpURLConnection, UrlConnectionCall> CALLS =
      VirtualField.find(sun.net.www.protocol.http.HttpURLConnection.class, UrlConnectionCall.class);
  private static final VirtualField<HttpClient, UrlConnectionCall> BY_CLIENT =
      VirtualField.find(HttpClient.class, UrlConnectionCall.class);
  private static final VirtualField<HttpClient, ConnectionUse> USES = VirtualField.find(HttpClient.class, ConnectionUse.class);

  private UrlConnectionLifecycle() {}

  // ---- connect ----------------------------------------------------------------------------------

  /**
   * Before the library obtains a connection for {@code url}: returns {url, connectTimeout} to
   * use (unchanged when the call is not the mesh's).
   */
  public static Object[] connecting(sun.net.www.protocol.http.HttpURLConnection connection, URL url, java.net.Proxy proxy, int connectTimeout) {
    Object[] unchanged = {url, connectTimeout};
    try {
      if (url == null || !"http".equalsIgnoreCase(url.getProtocol()) || (proxy != null && proxy.type() != java.net.Proxy.Type.DIRECT)) {
        return unchanged;
      }
      UrlConnectionCall state = CALLS.get(connection);
      if (state == null || !state.logicalUrl.toExternalForm().equals(url.toExternalForm())) {
        // the first connect, or a redirect the library follows: a new request, routed anew
        OutboundCall call = Mesh.outboundWaiting(new View(connection, url));
        if (call == null) {
          CALLS.set(connection, null);
          return unchanged;
        }
        state = new UrlConnectionCall(call, url, connection);
        CALLS.set(connection, state);
      }
      if (state.attempt != null) {
        state.attempt.onEnd(); // a reconnect without an outcome (the library's own): the attempt is over
      }
      Attempt attempt = state.call.startAttempt();
      state.attempt = attempt;
      state.verdict = Attempt.DELIVER;
      InetSocketAddress address = attempt.address();
      if (address == null) {
        return unchanged; // a pass-through destination: the library resolves the host itself
      }
      String file = attempt.isLocalReply() ? attempt.localReplyPath() : url.getFile();
      if (file == null || file.isEmpty()) {
        file = "/";
      }
      int timeout = connectTimeout;
      int meshConnect = attempt.connectTimeoutMillis();
      if (meshConnect > 0 && (timeout <= 0 || meshConnect < timeout)) {
        timeout = meshConnect;
      }
      io.inmesh.bootstrap.UpstreamTls tls = attempt.isLocalReply() ? null : attempt.tls();
      UrlConnectionTls.connecting(tls);
      // an mTLS attempt asks for an https connection: the keep-alive cache keys on the protocol
      String protocol = tls != null ? "https" : "http";
      return new Object[] {new URL(protocol, address.getAddress().getHostAddress(), address.getPort(), file), timeout};
    } catch (Throwable t) {
      Mesh.failed("http-url-connection", t);
      return unchanged;
    }
  }

  /**
   * The library obtained the attempt's connection (kept alive or new). A kept-alive one that
   * outlived the route's idle timeout or maximum duration is reconnected first (closed, then
   * opened again to the same endpoint, as the library itself does for a dead kept-alive
   * connection); the request is counted against {@code maxRequestsPerConnection}. Returns the
   * exception to throw from {@code getNewHttpClient}: {@code thrown}, or the failure to reconnect.
   */
  public static Throwable connected(sun.net.www.protocol.http.HttpURLConnection connection, HttpClient client, Throwable thrown) {
    if (thrown != null || client == null) {
      return thrown;
    }
    UrlConnectionCall state = CALLS.get(connection);
    if (state == null) {
      return null;
    }
    state.client = client;
    BY_CLIENT.set(client, state);
    Attempt attempt = state.attempt;
    if (attempt == null || attempt.address() == null) {
      return null;
    }
    try {
      ConnectionUse use = USES.get(client);
      long now = System.nanoTime();
      if (use != null && use.expired(now)) {
        client.closeServer();
        InetSocketAddress a = attempt.address();
        use = null;
        USES.set(client, null);
        try {
          client.openServer(a.getAddress().getHostAddress(), a.getPort());
        } catch (IOException e) {
          return e;
        }
      }
      if (use == null) {
        if (attempt.maxRequestsPerConnection() == 0 && attempt.maxConnectionDurationNanos() == 0 && attempt.connectionIdleTimeoutNanos() == 0) {
          return null;
        }
        use = new ConnectionUse(now);
        USES.set(client, use);
      }
      use.request(attempt);
    } catch (Throwable t) {
      Mesh.failed("http-url-connection", t);
    }
    return null;
  }

  /**
   * {@code HttpClient.finished()}: the response body was read to its end or closed (or there was
   * none). The delivered attempt ends here, so that active-request counts, pool slots and latency
   * include the body; the connection is then closed instead of kept alive when the route's
   * {@code maxRequestsPerConnection} or {@code maxConnectionDuration} says so. Returns true to
   * skip the library's own {@code finished()} (the connection was closed).
   */
  public static boolean finished(HttpClient client, boolean reuse) {
    try {
      UrlConnectionCall state = BY_CLIENT.get(client);
      if (state != null && state.delivered != null) {
        Attempt a = state.delivered;
        state.delivered = null;
        a.onEnd();
      }
      if (reuse) {
        return false; // the library keeps this connection for its next request (a redirect to the same place)
      }
      ConnectionUse use = USES.get(client);
      if (use == null) {
        return false;
      }
      long now = System.nanoTime();
      if (use.retireAfterRequest(now)) {
        USES.set(client, null);
        client.closeServer();
        return true;
      }
      use.idle(now);
    } catch (Throwable t) {
      Mesh.failed("http-url-connection", t);
    }
    return false;
  }

  /** {@code HttpClient.closeServer()}: the connection is closed; a delivered attempt on it is over. */
  public static void closed(HttpClient client) {
    try {
      UrlConnectionCall state = BY_CLIENT.get(client);
      if (state != null && state.delivered != null) {
        Attempt a = state.delivered;
        state.delivered = null;
        a.onEnd();
      }
    } catch (Throwable t) {
      Mesh.failed("http-url-connection", t);
    }
  }

  /**
   * {@code connect()} failed: the engine decides whether to try another endpoint (or to answer
   * 503 itself); returns the exception to throw, or null when a later attempt connected.
   */
  public static Throwable connectFailed(sun.net.www.protocol.http.HttpURLConnection connection, Throwable thrown) {
    if (thrown == null) {
      return null;
    }
    UrlConnectionCall state = CALLS.get(connection);
    if (state == null || state.attempt == null || state.retrying || !(thrown instanceof IOException)) {
      return thrown;
    }
    state.retrying = true;
    try {
      Throwable failure = thrown;
      for (;;) {
        int verdict = state.attempt.onFailure(failure, false, false);
        if (verdict != Attempt.AGAIN) {
          return failure;
        }
        sleep(state.attempt.backoffNanos());
        try {
          connection.connect();
          return null;
        } catch (IOException e) {
          failure = e;
        }
      }
    } catch (Throwable t) {
      Mesh.failed("http-url-connection", t);
      return thrown;
    } finally {
      state.retrying = false;
    }
  }

  /**
   * {@code setNewClient(url, useCache)}: the library's own "try once more" when the request could not
   * be written ({@code writeRequests} found its stream in error: the peer closed or reset the
   * connection, e.g. a TLS 1.3 server refusing the client's certificate) makes a new connection to
   * the connection's own URL, the logical one, without {@code getNewHttpClient}. For a meshed call that
   * would resolve the logical host and send the request unrouted, in plain text even when the attempt
   * is TLS. Instead the failed write is the attempt's outcome (a reset: the request may have left),
   * and the engine decides: the next attempt (another endpoint, or the responder's 503 UC) gets the
   * new connection, to its own address and with its own TLS; otherwise none is made and the library's
   * write fails. Returns {url} to make the connection with, or null to make none
   * ({@link #newClientDone} then throws).
   */
  public static Object[] newClient(sun.net.www.protocol.http.HttpURLConnection connection, URL url) {
    UrlConnectionCall state = CALLS.get(connection);
    if (state == null || state.attempt == null) {
      return new Object[] {url};
    }
    try {
      IOException failure = new java.net.SocketException("inmesh: the request could not be written on its connection (Error writing to server)");
      int verdict = state.attempt.onFailure(failure, false, true);
      if (verdict != Attempt.AGAIN) {
        state.refusal = failure;
        return null;
      }
      sleep(state.attempt.backoffNanos());
      return new Object[] {connecting(connection, state.logicalUrl, null, connection.getConnectTimeout())[0]};
    } catch (Throwable t) {
      Mesh.failed("http-url-connection", t);
      state.refusal = new IOException("inmesh: the request could not be written and is not re-sent outside the mesh", t);
      return null; // never the logical URL unrouted
    }
  }

  /** After {@code setNewClient}: the exception to throw, or null. Never throws. */
  public static Throwable newClientDone(sun.net.www.protocol.http.HttpURLConnection connection, boolean skipped, HttpClient client, Throwable thrown) {
    try {
      UrlConnectionCall state = CALLS.get(connection);
      if (skipped) {
        Throwable refusal = state == null ? null : state.refusal;
        if (state != null) {
          state.refusal = null;
        }
        return refusal != null ? refusal : new IOException("Error writing to server");
      }
      if (state == null) {
        return thrown;
      }
      return connected(connection, client, thrown != null ? thrown : UrlConnectionTls.obtained(client));
    } catch (Throwable t) {
      Mesh.failed("http-url-connection", t);
      return thrown;
    } finally {
      UrlConnectionTls.done();
    }
  }

  // ---- request and response ---------------------------------------------------------------------

  /** The library is about to write the request head (and a buffered body) on {@code client}. */
  public static void writing(HttpClient client, MessageHeader head, PosterOutputStream poster) {
    UrlConnectionCall state = BY_CLIENT.get(client);
    if (state == null || state.attempt == null || head == null) {
      String line;
      if (state == null && head != null && ((line = head.getKey(0)) == null || !line.startsWith("CONNECT "))) {
        // a call that passes through: the trace context of the request served on this thread (mesh profile only)
        MessageHeaderSink h = new MessageHeaderSink(head);
        Mesh.propagate(h, h);
      }
      return;
    }
    try {
      state.head = head;
      OutboundCall call = state.call;
      call.editRequest(new MessageHeaderSink(head));
      // the request line is the head's first key, with a null value
      String line = head.getKey(0);
      String path = call.rewrittenPath();
      if (path != null && line != null && head.getValue(0) == null) {
        int sp1 = line.indexOf(' ');
        int sp2 = line.lastIndexOf(' ');
        if (sp1 > 0 && sp2 > sp1) {
          head.set(0, line.substring(0, sp1 + 1) + path + line.substring(sp2), null);
        }
      }
      if (call.rewrittenAuthority() != null) {
        head.set("Host", call.rewrittenAuthority());
      }
      if (state.attempt.isLocalReply()) {
        head.set(Mesh.LOCAL_REPLY_HEADER, state.attempt.localReplyToken());
      } else {
        head.remove(Mesh.LOCAL_REPLY_HEADER);
      }
      if (poster != null) {
        call.bodyReplayable(poster.size() <= OutboundCall.MAX_REPLAY_BYTES);
      }
      if (!state.mirrored && call.mirrors()) {
        state.mirrored = true;
        String te = head.findValue("Transfer-Encoding");
        String cl = head.findValue("Content-Length");
        byte[] body = poster != null ? poster.toByteArray() : te == null && (cl == null || cl.equals("0")) ? new byte[0] : null;
        if (body != null && body.length <= OutboundCall.MAX_REPLAY_BYTES) {
          String l = head.getKey(0);
          String[] parts = l == null ? new String[0] : l.split(" ");
          if (parts.length >= 2) {
            call.mirror(new MirrorRequest(parts[0], parts[1], head.getHeaders(), body));
          }
        }
      }
    } catch (Throwable t) {
      Mesh.failed("http-url-connection", t);
    }
  }

  /**
   * Before the response is read: an injected delay happens here, once, after the request was sent
   * (where a sidecar would hold it), within the application's own read timeout; the attempt's
   * deadline becomes the read timeout when it is shorter.
   */
  public static void reading(HttpClient client) {
    UrlConnectionCall state = BY_CLIENT.get(client);
    if (state == null || state.attempt == null) {
      return;
    }
    if (!state.started) {
      state.started = true;
      long delay = state.call.delayNanos();
      if (delay > 0) {
        int own = client.getReadTimeout();
        try {
          if (own > 0 && delay >= TimeUnit.MILLISECONDS.toNanos(own)) {
            TimeUnit.MILLISECONDS.sleep(own);
            state.delayOutlastedReadTimeout = true;
            client.closeServer();
            return;
          }
          TimeUnit.NANOSECONDS.sleep(delay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    long mesh = state.attempt.timeoutMillis();
    int own = client.getReadTimeout();
    state.meshReadTimeout = mesh > 0 && (own <= 0 || mesh < own);
    if (state.meshReadTimeout) {
      client.setReadTimeout((int) Math.min(Integer.MAX_VALUE, mesh));
    }
  }

  /**
   * The response head was read (or reading failed). Returns the exception to throw, or null: a
   * failure the engine turns into another attempt is hidden behind a placeholder status that only
   * the adapter's redirect-loop step ever reads.
   */
  public static Throwable read(HttpClient client, MessageHeader responses, Throwable thrown) {
    UrlConnectionCall state = BY_CLIENT.get(client);
    if (state == null || state.attempt == null) {
      return thrown;
    }
    try {
      Attempt attempt = state.attempt;
      if (state.delayOutlastedReadTimeout) {
        state.delayOutlastedReadTimeout = false;
        attempt.onEnd();
        return new java.net.SocketTimeoutException("Read timed out");
      }
      if (thrown != null) {
        int verdict = attempt.onFailure(thrown, state.meshReadTimeout && thrown instanceof java.net.SocketTimeoutException, true);
        if (verdict != Attempt.AGAIN) {
          return thrown;
        }
        state.verdict = Attempt.AGAIN;
        client.closeServer();
        responses.reset();
        responses.set(null, "HTTP/1.1 503 inmesh retry");
        return null;
      }
      int status = statusOf(responses.getValue(0));
      if (status < 200) {
        return null; // 100 Continue and other interim heads are not outcomes
      }
      int verdict = attempt.onResponse(status, responses::findValue);
      state.verdict = verdict;
      if (verdict == Attempt.DELIVER) {
        state.call.editResponse(new MessageHeaderSink(responses));
        // the attempt ends when the application is done with the body: HttpClient.finished() (read
        // to the end, closed, or none) or closeServer(); an application that drops the connection
        // without either ends it when the connection object is collected
        state.delivered = attempt;
        UrlConnectionCall.endWhenUnreachable(state.owner(), attempt);
      }
      return null;
    } catch (Throwable t) {
      Mesh.failed("http-url-connection", t);
      return thrown;
    }
  }

  /**
   * The connection's redirect step ran: when the engine asked for another attempt, drop this
   * response and have the connection's loop go round again, as for a redirect.
   */
  public static boolean followRedirect(sun.net.www.protocol.http.HttpURLConnection connection, boolean followed) {
    if (followed) {
      return true;
    }
    UrlConnectionCall state = CALLS.get(connection);
    if (state == null || state.verdict != Attempt.AGAIN) {
      return false;
    }
    try {
      state.verdict = Attempt.DELIVER;
      sleep(state.attempt.backoffNanos());
      connection.disconnect();
      if (streaming(connection)) {
        resendStreamed(connection, state);
      }
      return true;
    } catch (Throwable t) {
      Mesh.failed("http-url-connection", t);
      return false;
    }
  }

  /**
   * A streamed body was written by the application straight onto the first attempt's connection;
   * the library would not write it again, so the adapter connects and sends the request head and
   * the kept copy itself. A buffered body (no streaming mode) is re-sent by the library.
   */
  private static void resendStreamed(sun.net.www.protocol.http.HttpURLConnection connection, UrlConnectionCall state) throws IOException {
    byte[] body = state.streamedBody();
    if (body == null || state.head == null) {
      return;
    }
    MessageHeader head = state.head;
    connection.connect();
    HttpClient client = state.client;
    if (client == null) {
      return;
    }
    client.writeRequests(head, null, true);
    OutputStream out = client.getOutputStream();
    if ("chunked".equalsIgnoreCase(head.findValue("Transfer-Encoding"))) {
      if (body.length > 0) {
        out.write((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    } else {
      out.write(body);
    }
    out.flush();
  }

  private static boolean streaming(sun.net.www.protocol.http.HttpURLConnection connection) {
    return STREAMING.get(connection) == Boolean.TRUE;
  }

  private static final VirtualField<sun.net.www.protocol.http.HttpURLConnection, Boolean> STREAMING =
      VirtualField.find(sun.net.www.protocol.http.HttpURLConnection.class, Boolean.class);

  /** The connection streams its request body (fixed-length or chunked streaming mode). */
  public static void streamingBody(sun.net.www.protocol.http.HttpURLConnection connection) {
    if (connection != null && CALLS.get(connection) != null) {
      STREAMING.set(connection, Boolean.TRUE);
    }
  }

  /** The application wrote to the streaming request body of {@code connection}. */
  public static void streamed(sun.net.www.protocol.http.HttpURLConnection connection, byte[] b, int off, int len) {
    UrlConnectionCall state = CALLS.get(connection);
    if (state == null || len <= 0) {
      return;
    }
    state.captureStreamed(b, off, len);
  }

  private static int statusOf(String statusLine) {
    if (statusLine == null) {
      return -1;
    }
    int sp = statusLine.indexOf(' ');
    if (sp < 0 || !statusLine.startsWith("HTTP/")) {
      return -1;
    }
    int end = statusLine.indexOf(' ', sp + 1);
    try {
      return Integer.parseInt(statusLine.substring(sp + 1, end < 0 ? statusLine.length() : end).trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void sleep(long nanos) throws InterruptedException {
    if (nanos > 0) {
      TimeUnit.NANOSECONDS.sleep(nanos);
    }
  }

  /** Header edits on the library's own header block. */
  static final class MessageHeaderSink implements HeaderSink, java.util.function.Function<String, String> {
    private final MessageHeader headers;

    MessageHeaderSink(MessageHeader headers) {
      this.headers = headers;
    }

    /** The head's value as the application set it (case-insensitive), for {@link Mesh#propagate}. */
    @Override
    public String apply(String name) {
      return headers.findValue(name);
    }

    @Override
    public void set(String name, String value) {
      headers.set(name, value);
    }

    @Override
    public void add(String name, String value) {
      headers.add(name, value);
    }

    @Override
    public void remove(String name) {
      headers.remove(name);
    }
  }

  /** {@link OutboundRequest} over a not-yet-connected {@code HttpURLConnection}. */
  static final class View implements OutboundRequest {
    /**
     * Weak: the call (and so this view) outlives nothing of the application's, so that an
     * unread, dropped connection can be collected and its attempt ended (see read()).
     */
    private final java.lang.ref.WeakReference<HttpURLConnection> connection;
    private final URL url;
    private final String method;

    View(HttpURLConnection connection, URL url) {
      this.connection = new java.lang.ref.WeakReference<>(connection);
      this.url = url;
      this.method = connection.getRequestMethod();
    }

    @Override
    public String method() {
      return method;
    }

    @Override
    public String scheme() {
      return url.getProtocol();
    }

    @Override
    public String host() {
      return url.getHost();
    }

    @Override
    public int port() {
      return url.getPort();
    }

    @Override
    public String path() {
      String f = url.getFile();
      return f == null || f.isEmpty() ? "/" : f;
    }

    @Override
    public String header(String name) {
      HttpURLConnection c = connection.get();
      if (c == null) {
        return null;
      }
      try {
        return c.getRequestProperty(name);
      } catch (IllegalStateException alreadyConnected) {
        return null;
      }
    }
  }
}
