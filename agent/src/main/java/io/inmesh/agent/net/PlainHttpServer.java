package io.inmesh.agent.net;

import io.inmesh.policy.control.PlainHttp;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal HTTP/1.1 server on a plain socket for the agent's own endpoints (admin, health, the
 * local responder). Not com.sun.net.httpserver, which inmesh and OpenTelemetry instrument: the
 * agent's ports must never be registered as the application's, nor traced.
 */
public final class PlainHttpServer implements Closeable {

  public record Request(String method, String path, Map<String, String> headers, byte[] body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The path without its query. */
    public String route() {
      int q = path.indexOf('?');
      return q >= 0 ? path.substring(0, q) : path;
    }

    /** A query parameter (undecoded), or null. */
    public String query(String name) {
      int q = path.indexOf('?');
      if (q < 0) {
        return null;
      }
      for (String kv : path.substring(q + 1).split("&")) {
        int eq = kv.indexOf('=');
        String k = eq >= 0 ? kv.substring(0, eq) : kv;
        if (k.equals(name)) {
          return eq >= 0 ? kv.substring(eq + 1) : "";
        }
      }
      return null;
    }
  }

  public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
    public static Response text(int status, String text) {
      return new Response(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    public static Response json(int status, byte[] json) {
      return new Response(status, "application/json", json, Map.of());
    }
  }

  @FunctionalInterface
  public interface Handler {
    Response handle(Request request) throws Exception;
  }

  private static final int MAX_BODY = 1024 * 1024;
  private final ServerSocket socket;
  private final Handler handler;
  private final boolean discardBodies;
  private final ExecutorService workers;
  private final Thread acceptor;
  private volatile boolean closed;

  private PlainHttpServer(ServerSocket socket, Handler handler, String name, int maxWorkers, boolean discardBodies) {
    this.socket = socket;
    this.handler = handler;
    this.discardBodies = discardBodies;
    AtomicInteger n = new AtomicInteger();
    this.workers =
        new ThreadPoolExecutor(
            0,
            maxWorkers,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, name + "-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.CallerRunsPolicy());
    this.acceptor = new Thread(this::acceptLoop, name);
    this.acceptor.setDaemon(true);
  }

  /** Binds and starts serving; throws when the address cannot be bound. */
  public static PlainHttpServer start(InetSocketAddress address, String name, int maxWorkers, Handler handler)
      throws IOException {
    return start(address, name, maxWorkers, false, handler);
  }

  /**
   * With {@code discardBodies}, request bodies of any size (fixed or chunked) are read and thrown
   * away before answering, so a client still writing a large upload gets the answer, not a reset.
   */
  public static PlainHttpServer start(
      InetSocketAddress address, String name, int maxWorkers, boolean discardBodies, Handler handler) throws IOException {
    ServerSocket ss = new ServerSocket();
    try {
      ss.setReuseAddress(true);
      ss.bind(address, 128);
    } catch (IOException e) {
      ss.close();
      throw e;
    }
    PlainHttpServer s = new PlainHttpServer(ss, handler, name, maxWorkers, discardBodies);
    s.acceptor.start();
    return s;
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = socket.accept();
        workers.execute(() -> serve(s));
      } catch (SocketException e) {
        if (closed) {
          return;
        }
      } catch (IOException | RuntimeException e) {
        // keep accepting: one bad connection must not stop the endpoint
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setSoTimeout(10_000);
      s.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(s.getInputStream());
      String requestLine = PlainHttp.readLine(in);
      if (requestLine == null || requestLine.isEmpty()) {
        return;
      }
      String[] parts = requestLine.split(" ");
      Map<String, String> headers = PlainHttp.readHeaders(in);
      byte[] body = new byte[0];
      String cl = headers.get("content-length");
      String te = headers.get("transfer-encoding");
      if (discardBodies) {
        PlainHttp.discardBody(in, cl, te);
      } else if (cl != null) {
        int len = Integer.parseInt(cl.trim());
        if (len > MAX_BODY) {
          write(s.getOutputStream(), Response.text(413, "request too large"));
          return;
        }
        body = PlainHttp.readFixed(in, len);
      }
      Response response;
      try {
        response =
            parts.length < 2
                ? Response.text(400, "bad request")
                : handler.handle(new Request(parts[0], parts[1], headers, body));
      } catch (Exception e) {
        response = Response.text(500, "inmesh: " + e);
      }
      write(s.getOutputStream(), response);
    } catch (IOException | RuntimeException ignored) {
      // the peer went away or sent garbage; nothing to answer
    }
  }

  private static void write(OutputStream out, Response r) throws IOException {
    StringBuilder head = new StringBuilder(160);
    head.append("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status())).append("\r\n");
    head.append("content-type: ").append(r.contentType()).append("\r\n");
    head.append("content-length: ").append(r.body().length).append("\r\n");
    for (Map.Entry<String, String> h : r.headers().entrySet()) {
      head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    head.append("connection: close\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(r.body());
    out.flush();
  }

  static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 204 -> "No Content";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 413 -> "Payload Too Large";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Status";
    };
  }

  @Override
  public void close() {
    closed = true;
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing
    }
    workers.shutdownNow();
  }
}
