package io.inmesh.control.api;

import io.inmesh.policy.tree.JsonTrees;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request and its answer: query, bounded body reading, JSON and empty responses. A call is
 * answered by its handler, or {@linkplain #detach() detached} and answered later from another
 * thread (a held long-poll), so that waiting costs no thread.
 */
public final class HttpCall {

  private static final byte[] EMPTY = new byte[0];

  private final Exchange exchange;
  private final boolean plainLoopbackListener;
  private final Runnable onFinish;
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile boolean detached;
  private Map<String, String> query;
  private byte[] bodyBytes;
  private Caller caller = Caller.ANONYMOUS;

  HttpCall(Exchange exchange, Runnable onFinish, boolean plainLoopbackListener) {
    this.exchange = exchange;
    this.onFinish = onFinish;
    this.plainLoopbackListener = plainLoopbackListener;
  }

  HttpCall(Exchange exchange, Runnable onFinish) {
    this(exchange, onFinish, false);
  }

  /**
   * True when the request came in on a plain-HTTP listener bound to a loopback address: the
   * development setup, where anyone on the host is trusted as the admin (the security note says so).
   */
  public boolean plainLoopbackListener() {
    return plainLoopbackListener;
  }

  /** Who the request proved to be (set by {@link AccessGuard} before the handler runs). */
  public Caller caller() {
    return caller;
  }

  void caller(Caller c) {
    this.caller = c;
  }

  /** A request header, or null. */
  public String requestHeader(String name) {
    return exchange.requestHeader(name);
  }

  /** The TLS client certificate chain the handshake verified; empty over plain HTTP or without one. */
  public java.util.List<java.security.cert.X509Certificate> peerCertificates() {
    return exchange.peerCertificates();
  }

  /** The handler returns without answering; whoever holds the call answers it and then {@link #finish()}es. */
  public void detach() {
    detached = true;
  }

  boolean detached() {
    return detached;
  }

  /** Closes the exchange (once); the server counts the call as done. */
  public void finish() {
    if (finished.compareAndSet(false, true)) {
      try {
        exchange.close();
      } finally {
        onFinish.run();
      }
    }
  }

  public String method() {
    return exchange.method();
  }

  public String path() {
    return exchange.uri().getPath();
  }

  /** A query parameter, or null. */
  public String query(String name) {
    if (query == null) {
      query = parseQuery(exchange.uri().getRawQuery()); // throws a 400 for a malformed query
    }
    return query.get(name);
  }

  /** The body, refused with 413 beyond {@code limit} bytes so a client cannot exhaust memory. */
  public byte[] body(int limit) throws IOException {
    if (bodyBytes != null) {
      // read once already (the access guard looks at the agent id before the handler runs)
      if (bodyBytes.length > limit) {
        throw new ApiException(413, "request body is larger than " + limit + " bytes", "send a smaller body");
      }
      return bodyBytes;
    }
    byte[] bytes = exchange.requestBody(limit);
    if (bytes.length > limit) {
      throw new ApiException(413, "request body is larger than " + limit + " bytes", "send a smaller body");
    }
    bodyBytes = bytes;
    return bytes;
  }

  public String bodyText(int limit) throws IOException {
    return new String(body(limit), StandardCharsets.UTF_8);
  }

  /** The body as a JSON object; 400 with a hint if it is not one. */
  public JsonFields jsonBody(int limit) throws IOException {
    byte[] bytes = body(limit);
    if (bytes.length == 0) {
      throw ApiException.badRequest("empty body", "send a JSON object");
    }
    try {
      return new JsonFields(JsonTrees.readObject(bytes));
    } catch (IOException | RuntimeException e) {
      throw ApiException.badRequest("body is not a JSON object: " + oneLine(e.getMessage()), "send a JSON object");
    }
  }

  public void json(int status, Object tree) throws IOException {
    byte[] bytes = (JsonTrees.writePretty(tree) + "\n").getBytes(StandardCharsets.UTF_8);
    send(status, "application/json", bytes);
  }

  public void error(int status, String error, String hint) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", error);
    m.put("hint", hint);
    json(status, m);
  }

  public void text(int status, String text) throws IOException {
    send(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
  }

  public void header(String name, String value) {
    exchange.responseHeader(name, value);
  }

  public void send(int status, String contentType, byte[] bytes) throws IOException {
    exchange.responseHeader("Content-Type", contentType);
    exchange.responseHeader("Cache-Control", "no-store");
    exchange.respond(status, bytes); // the bytes as given: a view's body is shared, never copied per poll
  }

  /** A status without a body (304). */
  public void empty(int status) throws IOException {
    exchange.respond(status, EMPTY);
  }

  private static Map<String, String> parseQuery(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&", 100)) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      try {
        out.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("malformed query parameter \"" + pair + "\"", "percent-encode the query");
      }
    }
    return out;
  }

  static String oneLine(String s) {
    return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ').trim();
  }
}
