package io.inmesh.control.api;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The plain-HTTP listener of the agent API: one selector thread and request-sized buffers, so an
 * open connection, and a held long-poll on it, costs about a kilobyte and no thread.
 *
 * <p>Why not the JDK's {@code HttpServer}: it keeps ~19 KB of buffered streams per connection (a
 * heap histogram at 6,000 held polls: 112 MB of {@code byte[]}) and allocates them again for every
 * exchange, so 10,000 agents polling meant ~200 MB live and a steady stream of garbage on a core
 * that also answers them. Here a connection holds a 1 KB read buffer (grown only for a larger
 * request, and dropped back after it), a complete request is handed to the handler pool, and an
 * answer is written from the handler's thread straight from the bytes given (a view's encoded
 * snapshot, shared by every agent of the view, is never copied per poll); what the socket does not
 * take at once is finished by the selector. Connections are kept alive (HTTP/1.1), so an agent that
 * polls again does not open a new one.
 *
 * <p>HTTP/1.1 as agents, curl and {@code java.net.http} speak it: {@code Content-Length} bodies
 * (a chunked request body is refused with 411), {@code Expect: 100-continue}, keep-alive unless
 * {@code Connection: close} or HTTP/1.0. Bounded everywhere: a request head of at most 64 KB, a body
 * of at most 8 MB (handlers refuse less with 413), a request must arrive whole within 10 s of its
 * first byte, an idle keep-alive connection is closed after 30 s, and an answer the client does not
 * read within 30 s is dropped. The TLS listener stays on the JDK's {@code HttpsServer}.
 */
final class NioHttpServer implements AutoCloseable {

  static final int INITIAL_BUFFER = 1024;
  static final int MAX_HEAD = 64 * 1024;
  static final int MAX_BODY = 8 * 1024 * 1024;
  static final long REQUEST_NANOS = TimeUnit.SECONDS.toNanos(10);
  static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);
  static final long WRITE_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final Executor handlers;
  private final Consumer<Exchange> dispatcher;
  private final ServerSocketChannel server;
  private final Selector selector;
  private final Thread loop;
  private final ConcurrentLinkedQueue<Conn> returning = new ConcurrentLinkedQueue<>();
  private volatile boolean closed;
  private long acceptResumeAt;
  private boolean acceptPaused;

  NioHttpServer(InetSocketAddress address, int backlog, Executor handlers, Consumer<Exchange> dispatcher) throws IOException {
    this.handlers = handlers;
    this.dispatcher = dispatcher;
    this.selector = Selector.open();
    ServerSocketChannel ch = ServerSocketChannel.open();
    try {
      ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      ch.bind(address, backlog);
      ch.configureBlocking(false);
      ch.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException e) {
      ch.close();
      selector.close();
      throw e;
    }
    this.server = ch;
    this.loop = new Thread(this::run, "inmesh-api-io");
    loop.setDaemon(true);
  }

  void start() {
    loop.start();
  }

  InetSocketAddress address() throws IOException {
    return (InetSocketAddress) server.getLocalAddress();
  }

  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    try {
      loop.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      for (SelectionKey k : selector.keys()) {
        k.channel().close();
      }
      selector.close();
    } catch (IOException | RuntimeException e) {
      // closing anyway
    }
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private void run() {
    long nextSweep = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    while (!closed) {
      try {
        selector.select(1_000);
        for (Conn c = returning.poll(); c != null; c = returning.poll()) {
          c.resume();
        }
        var it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey k = it.next();
          it.remove();
          try {
            if (!k.isValid()) {
              continue;
            }
            if (k.isAcceptable()) {
              accept();
            } else if (k.attachment() instanceof Conn c) {
              if (k.isWritable()) {
                c.writeMore();
              } else if (k.isReadable()) {
                c.read();
              }
            }
          } catch (CancelledKeyException e) {
            // closed meanwhile by a handler thread
          }
        }
        long now = System.nanoTime();
        if (acceptPaused && now - acceptResumeAt >= 0) {
          acceptPaused = false;
          server.keyFor(selector).interestOps(SelectionKey.OP_ACCEPT);
        }
        if (now - nextSweep >= 0) {
          nextSweep = now + TimeUnit.SECONDS.toNanos(1);
          sweep(now);
        }
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          // one bad round must not stop the listener; the next select goes on
          Thread.onSpinWait();
        }
      }
    }
  }

  private void accept() throws IOException {
    while (true) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (IOException e) {
        // out of files (EMFILE) or similar: stop accepting for a moment instead of spinning on it
        acceptPaused = true;
        acceptResumeAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        server.keyFor(selector).interestOps(0);
        return;
      }
      if (ch == null) {
        return;
      }
      try {
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        Conn c = new Conn(ch);
        c.key = ch.register(selector, SelectionKey.OP_READ, c);
      } catch (IOException e) {
        ch.close();
      }
    }
  }

  /** Closes connections idle, half-sent or unread for too long (each is an open file). */
  private void sweep(long now) {
    List<Conn> late = new ArrayList<>();
    for (SelectionKey k : selector.keys()) {
      if (k.attachment() instanceof Conn c) {
        long age = now - c.since;
        boolean tooLong =
            switch (c.state) {
              case READING -> age > (c.in.position() == 0 ? IDLE_NANOS : REQUEST_NANOS);
              case WRITING -> age > WRITE_NANOS;
              case HANDLING -> false; // a held poll: its hold is bounded by the handler
            };
        if (tooLong) {
          late.add(c);
        }
      }
    }
    for (Conn c : late) {
      c.close();
    }
  }

  private enum State {
    READING,
    HANDLING,
    WRITING
  }

  /** One connection; touched by the selector thread, and by a handler thread while HANDLING. */
  private final class Conn {
    final SocketChannel ch;
    SelectionKey key;
    ByteBuffer in = ByteBuffer.allocate(INITIAL_BUFFER);
    volatile State state = State.READING;
    volatile long since = System.nanoTime();
    // the request being read
    int headEnd = -1;
    String method;
    String target;
    Map<String, String> headers;
    byte[] body;
    int bodyRead;
    boolean keepAlive;
    // the answer being written
    ByteBuffer[] out;
    boolean closeAfterWrite;

    Conn(SocketChannel ch) {
      this.ch = ch;
    }

    void read() {
      try {
        if (body != null) {
          readBody();
          return;
        }
        if (!in.hasRemaining()) {
          if (in.capacity() >= MAX_HEAD) {
            reject(431, "request head larger than " + MAX_HEAD + " bytes");
            return;
          }
          grow(Math.min(MAX_HEAD, in.capacity() * 2));
        }
        int n = ch.read(in);
        if (n < 0) {
          close();
          return;
        }
        if (n > 0 && state == State.READING && in.position() == n) {
          since = System.nanoTime(); // the first byte of a request starts its clock
        }
        parse();
      } catch (IOException | RuntimeException e) {
        close();
      }
    }

    private void grow(int capacity) {
      ByteBuffer bigger = ByteBuffer.allocate(capacity);
      in.flip();
      bigger.put(in);
      in = bigger;
    }

    /** Looks for a complete head in what was read; moves on to the body or to the handler. */
    private void parse() throws IOException {
      byte[] a = in.array();
      int end = -1;
      for (int i = 3; i < in.position(); i++) {
        if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
          end = i + 1;
          break;
        }
      }
      if (end < 0) {
        return;
      }
      String head = new String(a, 0, end - 4, StandardCharsets.ISO_8859_1);
      String[] lines = head.split("\r\n");
      String[] first = lines[0].split(" ");
      if (first.length != 3 || !first[2].startsWith("HTTP/1.")) {
        reject(400, "malformed request line");
        return;
      }
      method = first[0];
      target = first[1];
      headers = new HashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.putIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
      }
      String connection = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
      keepAlive = first[2].equals("HTTP/1.1") ? !connection.contains("close") : connection.contains("keep-alive");
      if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
        reject(411, "send the body with a Content-Length (chunked request bodies are not accepted)");
        return;
      }
      long length = 0;
      String cl = headers.get("content-length");
      if (cl != null) {
        try {
          length = Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
          length = -1;
        }
        if (length < 0) {
          reject(400, "malformed Content-Length");
          return;
        }
        if (length > MAX_BODY) {
          reject(413, "request body is larger than " + MAX_BODY + " bytes");
          return;
        }
      }
      body = new byte[(int) length];
      int leftover = in.position() - end;
      int take = Math.min(leftover, body.length);
      System.arraycopy(a, end, body, 0, take);
      bodyRead = take;
      // keep what follows (a pipelined request) at the start of the buffer
      int rest = leftover - take;
      System.arraycopy(a, end + take, a, 0, rest);
      in.position(rest);
      if (bodyRead < body.length) {
        if ("100-continue".equalsIgnoreCase(headers.get("expect"))) {
          ch.write(ByteBuffer.wrap("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        }
        return; // the selector reads the rest into body
      }
      handOver();
    }

    private void readBody() throws IOException {
      int n = ch.read(ByteBuffer.wrap(body, bodyRead, body.length - bodyRead));
      if (n < 0) {
        close();
        return;
      }
      bodyRead += n;
      if (bodyRead == body.length) {
        handOver();
      }
    }

    /** A whole request: no reading until it is answered; a handler thread takes it. */
    private void handOver() {
      URI uri;
      try {
        uri = new URI(target);
      } catch (java.net.URISyntaxException e) {
        reject(400, "malformed request target");
        return;
      }
      NioExchange ex = new NioExchange(this, method, uri, headers, body);
      body = null;
      headers = null;
      if (in.capacity() > INITIAL_BUFFER && in.position() <= INITIAL_BUFFER) {
        ByteBuffer small = ByteBuffer.allocate(INITIAL_BUFFER);
        in.flip();
        small.put(in);
        in = small; // a large request does not keep a large buffer for the connection's life
      }
      state = State.HANDLING;
      key.interestOps(0);
      try {
        handlers.execute(() -> dispatcher.accept(ex));
      } catch (RejectedExecutionException e) {
        close(); // every handler busy and the queue full: the agent backs off and comes back
      }
    }

    /** An answer the server gives itself (malformed or too large a request); the connection closes after it. */
    private void reject(int status, String why) {
      keepAlive = false;
      String json = "{\"error\":\"" + why + "\",\"hint\":\"send a well-formed HTTP/1.1 request\"}\n";
      byte[] b = json.getBytes(StandardCharsets.UTF_8);
      state = State.HANDLING;
      key.interestOps(0);
      Map<String, String> h = new LinkedHashMap<>();
      h.put("Content-Type", "application/json");
      send(status, h, b);
    }

    /** Writes an answer; from a handler thread first, then the selector for whatever is left. */
    void send(int status, Map<String, String> responseHeaders, byte[] bytes) {
      StringBuilder sb = new StringBuilder(160);
      sb.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
      for (Map.Entry<String, String> e : responseHeaders.entrySet()) {
        sb.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
      }
      boolean noBody = status == 304 || status == 204 || status < 200;
      if (!noBody) {
        sb.append("Content-Length: ").append(bytes.length).append("\r\n");
      }
      if (!keepAlive) {
        sb.append("Connection: close\r\n");
      }
      sb.append("\r\n");
      ByteBuffer head = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
      out = noBody || bytes.length == 0 ? new ByteBuffer[] {head} : new ByteBuffer[] {head, ByteBuffer.wrap(bytes)};
      closeAfterWrite = !keepAlive;
      since = System.nanoTime();
      state = State.WRITING;
      try {
        if (flush()) {
          done();
        } else {
          returning.add(this); // the selector waits for the socket to take the rest
          selector.wakeup();
        }
      } catch (IOException e) {
        close();
      }
    }

    /** True when everything was written. */
    private boolean flush() throws IOException {
      ByteBuffer last = out[out.length - 1];
      while (last.hasRemaining()) {
        if (ch.write(out) == 0) {
          return false;
        }
      }
      return true;
    }

    void writeMore() {
      try {
        if (flush()) {
          done();
        }
      } catch (IOException | RuntimeException e) {
        close();
      }
    }

    /** The answer is out: close, or wait for the next request on this connection. */
    private void done() {
      out = null;
      if (closeAfterWrite) {
        close();
        return;
      }
      state = State.READING;
      since = System.nanoTime();
      if (Thread.currentThread() == loop) {
        resume();
      } else {
        returning.add(this);
        selector.wakeup();
      }
    }

    /** On the selector thread: write what is left, or read the next request. */
    void resume() {
      if (!ch.isOpen()) {
        return;
      }
      try {
        if (state == State.WRITING) {
          key.interestOps(SelectionKey.OP_WRITE);
        } else if (state == State.READING) {
          key.interestOps(SelectionKey.OP_READ);
          if (in.position() > 0) {
            parse(); // a pipelined request already read
          }
        }
      } catch (IOException | RuntimeException e) {
        close();
      }
    }

    void close() {
      try {
        ch.close(); // cancels its key
      } catch (IOException e) {
        // gone anyway
      }
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 100 -> "Continue";
      case 200 -> "OK";
      case 204 -> "No Content";
      case 304 -> "Not Modified";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 411 -> "Length Required";
      case 413 -> "Content Too Large";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }

  /** One request read by this server. */
  private static final class NioExchange implements Exchange {
    private final Conn conn;
    private final String method;
    private final URI uri;
    private final Map<String, String> headers;
    private final byte[] body;
    private final Map<String, String> responseHeaders = new LinkedHashMap<>();
    private boolean responded;

    NioExchange(Conn conn, String method, URI uri, Map<String, String> headers, byte[] body) {
      this.conn = conn;
      this.method = method;
      this.uri = uri;
      this.headers = headers;
      this.body = body;
    }

    @Override
    public String method() {
      return method;
    }

    @Override
    public URI uri() {
      return uri;
    }

    @Override
    public String requestHeader(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public byte[] requestBody(int limit) {
      return body; // the caller refuses one longer than its limit
    }

    @Override
    public synchronized void responseHeader(String name, String value) {
      responseHeaders.put(name, value);
    }

    @Override
    public synchronized void respond(int status, byte[] bytes) throws IOException {
      if (responded) {
        throw new IOException("already answered");
      }
      responded = true;
      conn.send(status, responseHeaders, bytes);
    }

    @Override
    public synchronized void close() {
      if (!responded) {
        responded = true;
        conn.close(); // never answered (the handler failed to): the client sees the connection end
      }
    }

    @Override
    public List<X509Certificate> peerCertificates() {
      return List.of();
    }
  }
}
