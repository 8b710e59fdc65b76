package io.inmesh.policy.control;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A minimal HTTP/1.1 client on a plain socket, for the agent's own traffic to the control plane.
 * Deliberately not java.net.http nor HttpURLConnection: the agent instruments those, and its own
 * calls must never be routed, traced, made to wait or counted as the application's.
 *
 * <p>Every exchange is bounded: the connect by its own timeout, and the whole answer (status line,
 * headers, body) by one deadline, so a server that drips a byte just before each read timeout
 * cannot hold the calling thread longer than that deadline. Writes are small requests (the agent
 * sends at most a few KB), which the kernel's send buffer takes without waiting for the peer.
 */
public final class PlainHttp {
  private static final int MAX_HEADER_BYTES = 64 * 1024;
  private static final int MAX_BODY_BYTES = 64 * 1024 * 1024;

  private PlainHttp() {}

  public record Response(int status, Map<String, String> headers, byte[] body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  public static Response get(URI uri, int connectTimeoutMs, int readTimeoutMs) throws IOException {
    return exchange("GET", uri, null, connectTimeoutMs, readTimeoutMs);
  }

  public static Response postJson(URI uri, byte[] json, int connectTimeoutMs, int readTimeoutMs) throws IOException {
    return exchange("POST", uri, json, connectTimeoutMs, readTimeoutMs);
  }

  /**
   * One request on a fresh connection ({@code Connection: close}). {@code answerTimeoutMs} bounds
   * the whole exchange after the connect: an answer not complete by then is a {@link
   * SocketTimeoutException}.
   */
  public static Response exchange(String method, URI uri, byte[] body, int connectTimeoutMs, int answerTimeoutMs)
      throws IOException {
    return exchange(method, uri, body, connectTimeoutMs, answerTimeoutMs, ChannelCredentials.NONE);
  }

  /**
   * The same; {@code https://} goes over TLS with {@code credentials.tls()}, verifying the server's
   * certificate and its name against the URL's host, within the same deadline.
   */
  public static Response exchange(
      String method, URI uri, byte[] body, int connectTimeoutMs, int answerTimeoutMs, ChannelCredentials credentials)
      throws IOException {
    boolean https = "https".equalsIgnoreCase(uri.getScheme());
    if (!https && !"http".equalsIgnoreCase(uri.getScheme())) {
      throw new IOException("only http:// and https:// control endpoints are supported, got " + uri);
    }
    // the credential first, then the TLS context: a certificate that arrives in between is then
    // presented beside a still-valid token, never missing from both
    String authorization = credentials.authorization();
    javax.net.ssl.SSLSocketFactory tls = https ? credentials.tls() : null;
    if (https && tls == null) {
      throw new IOException("cannot verify " + uri + ": set INMESH_CONTROL_CA to the PEM of the mesh root");
    }
    int port = uri.getPort() < 0 ? (https ? 443 : 80) : uri.getPort();
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    try (Socket raw = new Socket()) {
      raw.setTcpNoDelay(true);
      raw.connect(new InetSocketAddress(uri.getHost(), port), connectTimeoutMs);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(answerTimeoutMs);
      raw.setSoTimeout(answerTimeoutMs); // bounds the TLS handshake too
      Socket socket = raw;
      if (tls != null) {
        javax.net.ssl.SSLSocket ssl = (javax.net.ssl.SSLSocket) tls.createSocket(raw, uri.getHost(), port, true);
        javax.net.ssl.SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name this host
        ssl.setSSLParameters(params);
        ssl.startHandshake();
        socket = ssl;
      }
      writeRequest(socket.getOutputStream(), method, uri.getHost(), port, path, authorization, body, false);
      return read(new BufferedInputStream(new DeadlineInput(socket, deadline, answerTimeoutMs)), !"HEAD".equals(method));
    }
  }

  private static void writeRequest(
      OutputStream out, String method, String host, int port, String path, String authorization, byte[] body, boolean keepAlive)
      throws IOException {
    StringBuilder head = new StringBuilder(256);
    head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(host).append(':').append(port).append("\r\n");
    head.append("User-Agent: inmesh-agent\r\n");
    if (!keepAlive) {
      head.append("Connection: close\r\n");
    }
    head.append("Accept: application/json\r\n");
    if (authorization != null) {
      head.append("Authorization: ").append(authorization).append("\r\n");
    }
    if (body != null) {
      head.append("Content-Type: application/json\r\n");
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (body != null) {
      out.write(body);
    }
    out.flush();
  }

  /**
   * One connection to a control plane kept open between calls (HTTP/1.1 keep-alive), for the
   * agent's long-poll: a poll every few seconds per agent is then not a TCP connect, accept and
   * close at both ends (at 10,000 agents, a thousand of each per second on the control plane).
   * Plain {@code http://} only; {@code https://} calls go on a fresh connection each, as before.
   * Used by one thread at a time. Every exchange is bounded exactly as {@link #exchange}; any
   * failure closes the connection and is reported as it is, with one exception: a kept connection
   * the peer closed meanwhile (an idle timeout, a proxy that answers one request per connection,
   * a restart) fails at once, before a single byte of answer, and that request is sent again once
   * on a fresh connection, whose outcome is then reported as it is. A poll held and timing out is
   * never sent again. So the caller's backoff sees every failure of the control plane as before,
   * and none of a connection's reuse.
   */
  public static final class KeptConnection implements AutoCloseable {
    private Socket socket;
    private InputStream in;
    private DeadlineInput timed;
    private String peer;
    private long lastUsedNanos;
    /** The socket kept or in use, for {@link #close()} from another thread while an exchange holds the lock. */
    private volatile Socket open;
    /** Set by {@link #close()}: the exchange in progress failed because its owner closed it, not the peer. */
    private volatile boolean closedByOwner;

    /** A connection idle this long is not reused: the control plane closes idle ones after 30 s. */
    static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(20);
    /** A kept connection that fails this soon after the request was sent was closed while kept. */
    static final long STALE_WITHIN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    public synchronized Response exchange(
        String method, URI uri, byte[] body, int connectTimeoutMs, int answerTimeoutMs, ChannelCredentials credentials)
        throws IOException {
      if (!"http".equalsIgnoreCase(uri.getScheme())) {
        discard();
        return PlainHttp.exchange(method, uri, body, connectTimeoutMs, answerTimeoutMs, credentials);
      }
      String authorization = credentials.authorization();
      int port = uri.getPort() < 0 ? 80 : uri.getPort();
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      if (uri.getRawQuery() != null) {
        path += "?" + uri.getRawQuery();
      }
      String target = uri.getHost() + ":" + port;
      closedByOwner = false;
      if (socket != null && !socket.isClosed() && target.equals(peer) && System.nanoTime() - lastUsedNanos <= MAX_IDLE_NANOS) {
        try {
          return send(method, uri, body, connectTimeoutMs, answerTimeoutMs, authorization, port, path, target, true);
        } catch (StaleConnection e) {
          discard(); // the peer closed it while it was kept: the request goes again, once, on a fresh one
        }
      }
      discard();
      return send(method, uri, body, connectTimeoutMs, answerTimeoutMs, authorization, port, path, target, false);
    }

    /** A kept connection found closed by the peer before any byte of the answer. */
    private static final class StaleConnection extends IOException {
      StaleConnection(Throwable cause) {
        super("kept connection closed by the peer", cause);
      }
    }

    private Response send(
        String method, URI uri, byte[] body, int connectTimeoutMs, int answerTimeoutMs, String authorization, int port,
        String path, String target, boolean reused)
        throws IOException {
      boolean ok = false;
      try {
        if (!reused) {
          discard();
          Socket s = new Socket();
          try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(uri.getHost(), port), connectTimeoutMs);
          } catch (IOException e) {
            s.close();
            throw e;
          }
          socket = s;
          open = s;
          peer = target;
          timed = new DeadlineInput(s, 0, 0);
          in = new BufferedInputStream(timed, 8192);
        }
        long sent = System.nanoTime();
        timed.restart(sent + TimeUnit.MILLISECONDS.toNanos(answerTimeoutMs), answerTimeoutMs);
        socket.setSoTimeout(answerTimeoutMs);
        try {
          writeRequest(socket.getOutputStream(), method, uri.getHost(), port, path, authorization, body, true);
          in.mark(1);
          if (in.read() < 0) {
            throw new java.io.EOFException("connection closed before an answer");
          }
          in.reset();
        } catch (SocketTimeoutException e) {
          throw e; // held and no answer in time: a real timeout, never sent again
        } catch (IOException e) {
          // at once: closed while it was kept. Later (a poll held, then cut): a failure like any other
          if (reused && !closedByOwner && System.nanoTime() - sent < STALE_WITHIN_NANOS) {
            throw new StaleConnection(e);
          }
          throw e;
        }
        Response r = read(in, !"HEAD".equals(method));
        String connection = r.header("connection");
        boolean delimited =
            r.header("content-length") != null
                || r.header("transfer-encoding") != null
                || r.status() == 304
                || r.status() == 204
                || "HEAD".equals(method);
        ok = delimited && (connection == null || !connection.toLowerCase(Locale.ROOT).contains("close"));
        lastUsedNanos = System.nanoTime();
        return r;
      } finally {
        if (!ok) {
          discard();
        }
      }
    }

    /**
     * Closes the connection now, from any thread: an exchange held on it (a long-poll) fails at
     * once and is not sent again, instead of this call waiting for that exchange to end. (It used
     * to take the exchange's lock, so an agent stopping at JVM shutdown waited for its held poll
     * to be answered, up to the whole hold, before the JVM could exit.)
     */
    @Override
    public void close() {
      closedByOwner = true;
      Socket s = open;
      if (s != null) {
        try {
          s.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }

    /** Drops the connection (the exchange's own thread, holding the lock). */
    private synchronized void discard() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
      socket = null;
      open = null;
      in = null;
      timed = null;
      peer = null;
    }
  }

  /** Arms the socket's read timeout with what is left of the exchange's deadline before each read. */
  private static final class DeadlineInput extends InputStream {
    private final Socket socket;
    private final InputStream in;
    private long deadlineNanos;
    private int totalMs;

    DeadlineInput(Socket socket, long deadlineNanos, int totalMs) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.deadlineNanos = deadlineNanos;
      this.totalMs = totalMs;
    }

    /** A new exchange on the same (kept) connection: a new deadline. */
    void restart(long deadlineNanos, int totalMs) {
      this.deadlineNanos = deadlineNanos;
      this.totalMs = totalMs;
    }

    private void arm() throws IOException {
      long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
      if (leftMs <= 0) {
        throw late();
      }
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, leftMs));
    }

    private SocketTimeoutException late() {
      return new SocketTimeoutException("no complete answer within " + totalMs + " ms");
    }

    @Override
    public int read() throws IOException {
      arm();
      try {
        return in.read();
      } catch (SocketTimeoutException e) {
        throw late();
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      arm();
      try {
        return in.read(b, off, len);
      } catch (SocketTimeoutException e) {
        throw late();
      }
    }
  }

  static Response read(InputStream in, boolean hasBody) throws IOException {
    String statusLine = readLine(in);
    if (statusLine == null || !statusLine.startsWith("HTTP/")) {
      throw new IOException("not an HTTP response: " + statusLine);
    }
    String[] parts = statusLine.split(" ", 3);
    int status;
    try {
      status = Integer.parseInt(parts[1]);
    } catch (RuntimeException e) {
      throw new IOException("bad status line: " + statusLine);
    }
    if (status < 100 || status > 999) {
      throw new IOException("bad status line: " + statusLine);
    }
    Map<String, String> headers = readHeaders(in);
    byte[] body = new byte[0];
    if (hasBody && status != 204 && status != 304 && status >= 200) {
      String te = headers.get("transfer-encoding");
      String cl = headers.get("content-length");
      if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
        body = readChunked(in);
      } else if (cl != null) {
        body = readFixed(in, contentLength(cl));
      } else {
        body = readToEof(in);
      }
    }
    return new Response(status, headers, body);
  }

  private static int contentLength(String value) throws IOException {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IOException("bad Content-Length: " + value);
    }
  }

  public static Map<String, String> readHeaders(InputStream in) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    int total = 0;
    for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
      total += line.length();
      if (total > MAX_HEADER_BYTES) {
        throw new IOException("headers too large");
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
      }
    }
    return headers;
  }

  /** Reads a CRLF (or LF) terminated line; null at end of stream. */
  public static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        int len = sb.length();
        if (len > 0 && sb.charAt(len - 1) == '\r') {
          sb.setLength(len - 1);
        }
        return sb.toString();
      }
      sb.append((char) c);
      if (sb.length() > MAX_HEADER_BYTES) {
        throw new IOException("line too long");
      }
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  public static byte[] readFixed(InputStream in, int length) throws IOException {
    if (length < 0 || length > MAX_BODY_BYTES) {
      throw new IOException("bad content length " + length);
    }
    byte[] b = in.readNBytes(length);
    if (b.length != length) {
      throw new IOException("connection closed after " + b.length + " of " + length + " bytes");
    }
    return b;
  }

  /** Reads and drops a request body of any size (Content-Length or chunked). */
  public static void discardBody(InputStream in, String contentLength, String transferEncoding) throws IOException {
    if (transferEncoding != null && transferEncoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      while (true) {
        String line = readLine(in);
        if (line == null) {
          return;
        }
        int semi = line.indexOf(';');
        long size = Long.parseLong((semi >= 0 ? line.substring(0, semi) : line).trim(), 16);
        if (size == 0) {
          for (String t = readLine(in); t != null && !t.isEmpty(); t = readLine(in)) {
            // trailers
          }
          return;
        }
        in.skipNBytes(size);
        readLine(in);
      }
    }
    if (contentLength != null) {
      in.skipNBytes(Long.parseLong(contentLength.trim()));
    }
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (true) {
      String line = readLine(in);
      if (line == null) {
        throw new IOException("connection closed inside a chunked body");
      }
      int semi = line.indexOf(';');
      int size;
      try {
        size = Integer.parseInt((semi >= 0 ? line.substring(0, semi) : line).trim(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size: " + line);
      }
      if (size < 0) {
        throw new IOException("bad chunk size: " + line);
      }
      if (size == 0) {
        while (true) { // trailers
          String t = readLine(in);
          if (t == null || t.isEmpty()) {
            break;
          }
        }
        return out.toByteArray();
      }
      if (out.size() + size > MAX_BODY_BYTES) {
        throw new IOException("body too large");
      }
      out.write(readFixed(in, size));
      readLine(in);
    }
  }

  private static byte[] readToEof(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) != -1) {
      out.write(buf, 0, n);
      if (out.size() > MAX_BODY_BYTES) {
        throw new IOException("body too large");
      }
    }
    return out.toByteArray();
  }
}
