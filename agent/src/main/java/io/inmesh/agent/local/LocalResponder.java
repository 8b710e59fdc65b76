package io.inmesh.agent.local;

import io.inmesh.agent.net.PlainHttpServer;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.policy.log.Log;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Answers calls the mesh decides itself (503 no healthy upstream, 404 no route, later 403, 504,
 * injected aborts) with a real HTTP response on a private loopback port, so every client library
 * turns it into its own response object or exception exactly as if a sidecar had answered. The
 * answer is named by a stateless token ({@code <status>-<reason>}) in the request path or in the
 * {@link Mesh#LOCAL_REPLY_HEADER} header; bodies are Envoy's, so clients written against Istio see
 * the same text.
 */
public final class LocalResponder {
  public static final String PATH_PREFIX = "/.inmesh/reply/";


  private static final int MAX_CUSTOM = 4096;

  private volatile PlainHttpServer server;
  /**
   * Answers with their own body or Location (direct responses, redirects), by token. Compiled
   * answers are registered once; per-request ones (a redirect's Location) are kept until
   * {@link #MAX_CUSTOM} newer ones replaced them, long after their call was answered.
   */
  private final Map<String, LocalAnswer> custom = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<LocalAnswer, String> customTokens = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentLinkedQueue<String> customOrder = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicLong customIds = new java.util.concurrent.atomic.AtomicLong();

  /** The token naming {@code answer}: {@code <status>-<reason>} for Envoy's own answers, else a registered id. */
  public String token(LocalAnswer answer) {
    if (!answer.custom()) {
      return answer.status() + "-" + answer.reason();
    }
    String t = customTokens.get(answer);
    if (t != null) {
      return t;
    }
    t = answer.status() + "-c" + customIds.incrementAndGet();
    custom.put(t, answer);
    if (answer.location() == null) {
      customTokens.put(answer, t); // a compiled answer: the same object for every call
    }
    customOrder.add(t);
    while (custom.size() > MAX_CUSTOM) {
      String old = customOrder.poll();
      if (old == null) {
        break;
      }
      LocalAnswer gone = custom.remove(old);
      if (gone != null) {
        customTokens.remove(gone, old);
      }
    }
    return t;
  }


  /** The responder's address, started on first use; null if it cannot start (fail open). */
  public InetSocketAddress address() {
    PlainHttpServer s = server;
    if (s == null) {
      synchronized (this) {
        s = server;
        if (s == null) {
          try {
            s = PlainHttpServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "inmesh-responder", 16, true, this::answer);
            server = s;
          } catch (IOException e) {
            Log.once(Log.Level.ERROR, "responder", "cannot start the local responder (" + e.getMessage() + "); local answers pass through");
            return null;
          }
        }
      }
    }
    return s.address();
  }

  private PlainHttpServer.Response answer(PlainHttpServer.Request request) {
    String token = request.header(Mesh.LOCAL_REPLY_HEADER);
    if (token == null && request.route().startsWith(PATH_PREFIX)) {
      token = request.route().substring(PATH_PREFIX.length());
    }
    int dash = token == null ? -1 : token.indexOf('-');
    int status;
    try {
      status = dash > 0 ? Integer.parseInt(token.substring(0, dash)) : 0;
    } catch (NumberFormatException e) {
      status = 0;
    }
    if (status < 200 || status > 599) {
      return PlainHttpServer.Response.text(400, "inmesh local responder: unknown answer");
    }
    LocalAnswer registered = custom.get(token);
    if (registered != null) {
      Map<String, String> headers = new java.util.LinkedHashMap<>();
      headers.put("server", "inmesh");
      headers.put("x-inmesh-reason", registered.reason());
      if (registered.location() != null) {
        headers.put("location", registered.location());
      }
      return new PlainHttpServer.Response(
          registered.status(), "text/plain", registered.body().getBytes(StandardCharsets.UTF_8), headers);
    }
    String reason = token.substring(dash + 1);
    if (reason.startsWith("c")) {
      return PlainHttpServer.Response.text(500, "inmesh local responder: answer expired");
    }
    return new PlainHttpServer.Response(
        status,
        "text/plain",
        LocalAnswer.envoyBody(reason).getBytes(StandardCharsets.UTF_8),
        Map.of("server", "inmesh", "x-inmesh-reason", reason));
  }

  public void close() {
    PlainHttpServer s = server;
    if (s != null) {
      s.close();
    }
  }
}
