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


  private volatile PlainHttpServer server;

  public static String token(LocalAnswer answer) {
    return answer.status() + "-" + answer.reason();
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
    String reason = token.substring(dash + 1);
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
