package io.inmesh.smoke.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inmesh.smoke.Smoke;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small real HTTP proxy between the agents and the control plane, switched between {@link Fault}s
 * at runtime. One request per connection: the proxy answers every request with {@code Connection: close},
 * so an agent's kept-alive control connection is opened anew for each request and a fault switched on
 * applies from the agent's next request. It records
 * every request it receives (when, which agent, which call, what it answered) so a test can count
 * what the agents did under a fault.
 *
 * <p>Every wait in here is bounded: held connections are released when the fault changes or the
 * proxy closes, upstream calls have timeouts, and each connection has its own daemon thread.
 */
public final class FaultProxy implements AutoCloseable {
  private static final Pattern AGENT_IN_BODY = Pattern.compile("\"agent\"\\s*:\\s*\"([^\"]*)\"");
  private static final int UPSTREAM_TIMEOUT_MS = 90_000;

  /** One request as the proxy saw it. */
  public record Seen(long atNanos, String agent, String method, String path, String answer, String retryAfter) {
    /** "poll" for snapshot long-polls (every GET), "registry" for register/heartbeat/ack/deregister (POSTs). */
    public String channel() {
      return method.equals("GET") ? "poll" : "registry";
    }
  }

  private final InetSocketAddress listen;
  private final InetSocketAddress upstream;
  private final ExecutorService connections =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "fault-proxy-conn");
            t.setDaemon(true);
            return t;
          });
  private final List<Seen> seen = new ArrayList<>();
  /** Open client connections → the generation they were accepted in. */
  private final Map<Socket, Long> open = new java.util.concurrent.ConcurrentHashMap<>();
  private final Object lock = new Object();
  private Fault fault = new Fault.Pass(); // guarded by lock
  private long generation; // guarded by lock; bumps on every switch, releasing held connections
  private ServerSocket server; // guarded by lock
  private Thread acceptor;
  private volatile boolean closed;
  private long garbageCount;

  public FaultProxy(InetSocketAddress listen, InetSocketAddress upstream) {
    this.listen = listen;
    this.upstream = upstream;
  }

  public FaultProxy start() throws IOException {
    bind();
    return this;
  }

  /**
   * Switches to {@code next}. Every connection accepted before is closed (a long-poll the control
   * plane was holding ends as if it restarted into the new state), so the agents meet the new fault
   * on their next request rather than 30 s later.
   */
  public void set(Fault next) throws IOException {
    boolean refuse = next instanceof Fault.Refuse;
    long now;
    synchronized (lock) {
      fault = next;
      now = ++generation;
      lock.notifyAll();
    }
    open.forEach(
        (socket, gen) -> {
          if (gen < now) {
            try {
              socket.close();
            } catch (IOException e) {
              // already closed
            }
          }
        });
    if (refuse) {
      unbind();
    } else {
      bind();
    }
  }

  public Fault fault() {
    synchronized (lock) {
      return fault;
    }
  }

  /** Every request received since {@code sinceNanos}. */
  public List<Seen> seenSince(long sinceNanos) {
    synchronized (seen) {
      return seen.stream().filter(s -> s.atNanos() >= sinceNanos).toList();
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (lock) {
      generation++;
      lock.notifyAll();
    }
    unbind();
    connections.shutdownNow();
  }

  // ---- listening ----------------------------------------------------------------------------------

  private void bind() throws IOException {
    synchronized (lock) {
      if (server != null || closed) {
        return;
      }
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(listen, 128);
      server = s;
      acceptor = new Thread(() -> acceptLoop(s), "fault-proxy-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }
  }

  private void unbind() {
    ServerSocket s;
    synchronized (lock) {
      s = server;
      server = null;
    }
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // closing
      }
    }
  }

  private void acceptLoop(ServerSocket s) {
    while (!s.isClosed()) {
      try {
        Socket c = s.accept();
        connections.execute(() -> handle(c));
      } catch (IOException e) {
        return; // closed: refusing, or the proxy ends
      }
    }
  }

  // ---- one connection -----------------------------------------------------------------------------

  private void handle(Socket client) {
    synchronized (lock) {
      open.put(client, generation);
    }
    try (client) {
      client.setSoTimeout(10_000);
      InputStream in = new BufferedInputStream(client.getInputStream());
      Request req = Request.read(in);
      if (req == null) {
        return;
      }
      Fault f;
      long gen;
      synchronized (lock) {
        f = fault;
        gen = generation;
      }
      OutputStream out = client.getOutputStream();
      if (f instanceof Fault.Pass) {
        record(req, "forwarded", null);
        out.write(forward(req).raw());
      } else if (f instanceof Fault.Hang) {
        record(req, "held, never answered", null);
        holdWhile(gen, Long.MAX_VALUE);
      } else if (f instanceof Fault.Slow s) {
        record(req, "forwarded, answer held " + s.delay().toSeconds() + "s", null);
        Answer a = forward(req);
        holdWhile(gen, System.nanoTime() + s.delay().toNanos());
        out.write(a.raw());
      } else if (f instanceof Fault.Refuse) {
        record(req, "accepted just before refusing, closed", null);
      } else if (f instanceof Fault.Status st) {
        record(req, "answered " + st.status(), st.retryAfter());
        String body = "control plane unavailable (fault proxy)\n";
        StringBuilder head = new StringBuilder("HTTP/1.1 " + st.status() + " Fault\r\nContent-Type: text/plain\r\n");
        if (st.retryAfter() != null) {
          head.append("Retry-After: ").append(st.retryAfter()).append("\r\n");
        }
        head.append("Content-Length: ").append(body.length()).append("\r\nConnection: close\r\n\r\n").append(body);
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      } else if (f instanceof Fault.Truncate) {
        Answer a = forward(req);
        record(req, "forwarded, " + a.status() + " truncated", null);
        out.write(a.head());
        out.write(a.body(), 0, a.body().length / 2);
      } else if (f instanceof Fault.Garbage) {
        Answer a = forward(req);
        byte[] junk = new byte[Math.max(64, a.body().length)];
        ThreadLocalRandom.current().nextBytes(junk);
        boolean whole;
        synchronized (lock) {
          whole = garbageCount++ % 2 == 0;
        }
        record(req, whole ? "forwarded, answered random bytes" : "forwarded, " + a.status() + " with a random body", null);
        if (whole) {
          out.write(junk);
        } else {
          out.write(a.headWithLength(junk.length));
          out.write(junk);
        }
      } else if (f instanceof Fault.InvalidSnapshot) {
        Answer a = forward(req);
        if (req.method().equals("GET") && a.status() == 200) {
          byte[] bad = invalidate(a.body());
          record(req, "forwarded, snapshot made invalid", null);
          out.write(a.headWithLength(bad.length));
          out.write(bad);
        } else {
          record(req, "forwarded", null);
          out.write(a.raw());
        }
      }
      out.flush();
    } catch (IOException e) {
      // the agent gave up on this exchange (its timeout), the upstream is down, or the fault
      // changed: the connection closes, which is what the agent sees
    } finally {
      open.remove(client);
    }
  }

  /** Holds the calling connection until the fault changes, the proxy closes, or {@code untilNanos}. */
  private void holdWhile(long gen, long untilNanos) {
    synchronized (lock) {
      while (!closed && generation == gen) {
        long left = untilNanos == Long.MAX_VALUE ? 1_000 : TimeUnit.NANOSECONDS.toMillis(untilNanos - System.nanoTime());
        if (left <= 0) {
          return;
        }
        try {
          lock.wait(Math.min(left, 1_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void record(Request req, String answer, String retryAfter) {
    synchronized (seen) {
      seen.add(new Seen(req.atNanos(), req.agent(), req.method(), req.path(), answer, retryAfter));
    }
  }

  private Answer forward(Request req) throws IOException {
    try (Socket up = new Socket()) {
      up.connect(upstream, 2_000);
      up.setSoTimeout(UPSTREAM_TIMEOUT_MS);
      OutputStream o = up.getOutputStream();
      o.write(req.raw());
      o.flush();
      return Answer.read(new BufferedInputStream(up.getInputStream()));
    }
  }

  /** A snapshot with a new version, no endpoints and a VirtualService whose weight is not a number. */
  static byte[] invalidate(byte[] snapshot) throws IOException {
    ObjectNode root = (ObjectNode) Smoke.JSON.readTree(snapshot);
    root.put("version", root.path("version").asText() + "-invalid");
    root.putArray("services");
    ArrayNode resources = root.withArray("resources");
    JsonNode bad =
        Smoke.JSON.readTree(
            """
            {"file": "fault-proxy.yaml", "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
             "metadata": {"name": "fault-proxy-invalid", "namespace": "default"},
             "spec": {"hosts": ["usuario-service"],
                      "http": [{"route": [{"destination": {"host": "usuario-service"}, "weight": "a lot"}]}]}}
            """);
    resources.insert(0, bad);
    return Smoke.JSON.writeValueAsBytes(root);
  }

  // ---- HTTP/1.1 framing, just enough for the control-plane API ------------------------------------

  record Request(long atNanos, String method, String path, String agent, byte[] raw) {
    static Request read(InputStream in) throws IOException {
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      String line = line(in, raw);
      if (line == null || line.isEmpty()) {
        return null;
      }
      long at = System.nanoTime();
      String[] parts = line.split(" ");
      String target = parts.length > 1 ? parts[1] : "/";
      int q = target.indexOf('?');
      String path = q < 0 ? target : target.substring(0, q);
      String agent = null;
      if (q >= 0) {
        for (String kv : target.substring(q + 1).split("&")) {
          if (kv.startsWith("agent=")) {
            agent = URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
          }
        }
      }
      Map<String, String> headers = headers(in, raw);
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0").trim());
      byte[] body = in.readNBytes(length);
      raw.write(body);
      if (agent == null) {
        Matcher m = AGENT_IN_BODY.matcher(new String(body, StandardCharsets.UTF_8));
        agent = m.find() ? m.group(1) : "?";
      }
      return new Request(at, parts[0], path, agent, raw.toByteArray());
    }
  }

  record Answer(int status, byte[] head, byte[] body) {
    byte[] raw() {
      byte[] r = new byte[head.length + body.length];
      System.arraycopy(head, 0, r, 0, head.length);
      System.arraycopy(body, 0, r, head.length, body.length);
      return r;
    }

    /** The same head with Content-Length set to {@code length} (and no chunking). */
    byte[] headWithLength(int length) {
      StringBuilder sb = new StringBuilder();
      for (String l : new String(head, StandardCharsets.ISO_8859_1).split("\r\n")) {
        String lower = l.toLowerCase(Locale.ROOT);
        if (!l.isEmpty() && !lower.startsWith("content-length:") && !lower.startsWith("transfer-encoding:")) {
          sb.append(l).append("\r\n");
        }
      }
      sb.append("Content-Length: ").append(length).append("\r\n\r\n");
      return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    static Answer read(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      String status = line(in, head);
      if (status == null) {
        throw new IOException("upstream closed without answering");
      }
      int code = Integer.parseInt(status.split(" ")[1]);
      Map<String, String> headers = headers(in, head);
      byte[] body;
      String cl = headers.get("content-length");
      if (code == 304 || code == 204) {
        body = new byte[0];
      } else if (cl != null) {
        body = in.readNBytes(Integer.parseInt(cl.trim()));
      } else if (headers.getOrDefault("transfer-encoding", "").contains("chunked")) {
        body = dechunk(in);
        // the head says chunked; hand the agent a plain body instead
        return new Answer(code, new Answer(code, head.toByteArray(), body).headWithLength(body.length), body);
      } else {
        body = in.readAllBytes();
      }
      return new Answer(code, head.toByteArray(), body);
    }

    private static byte[] dechunk(InputStream in) throws IOException {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream ignored = new ByteArrayOutputStream();
      while (true) {
        String size = line(in, ignored);
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          line(in, ignored);
          return out.toByteArray();
        }
        out.write(in.readNBytes(n));
        line(in, ignored);
      }
    }
  }

  /** Reads a CRLF line, copying its bytes (with the CRLF) to {@code raw}; null at end of stream. */
  static String line(InputStream in, ByteArrayOutputStream raw) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      raw.write(c);
      if (c == '\n') {
        int len = sb.length();
        if (len > 0 && sb.charAt(len - 1) == '\r') {
          sb.setLength(len - 1);
        }
        return sb.toString();
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  static Map<String, String> headers(InputStream in, ByteArrayOutputStream raw) throws IOException {
    Map<String, String> h = new LinkedHashMap<>();
    for (String l = line(in, raw); l != null && !l.isEmpty(); l = line(in, raw)) {
      int colon = l.indexOf(':');
      if (colon > 0) {
        h.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
      }
    }
    return h;
  }

  @Override
  public String toString() {
    return "fault proxy " + listen + " → " + upstream + " (" + fault() + ")";
  }
}
