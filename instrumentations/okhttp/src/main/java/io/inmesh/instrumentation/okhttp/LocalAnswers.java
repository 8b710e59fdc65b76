package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.LocalAnswer;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Answers the mesh gives itself, as OkHttp {@code Response}s with Envoy's status, body and
 * {@code x-inmesh-reason}, the same as the agent's loopback responder sends to other libraries.
 * Envoy's fixed answers ({@code <status>-<flag>} tokens) are built here without any I/O; an answer
 * with a body or Location of its own (direct response, redirect) is read from the responder once,
 * outside OkHttp, so OkHttp neither retries it nor follows it.
 */
final class LocalAnswers {
  private static final MediaType TEXT = MediaType.get("text/plain");

  private LocalAnswers() {}

  static Response answer(Attempt attempt, Request request) throws IOException {
    String token = attempt.localReplyToken();
    int dash = token == null ? -1 : token.indexOf('-');
    int status;
    try {
      status = dash > 0 ? Integer.parseInt(token.substring(0, dash)) : 503;
    } catch (NumberFormatException e) {
      status = 503;
    }
    String reason = dash > 0 ? token.substring(dash + 1) : "";
    long now = System.currentTimeMillis();
    Response.Builder b = new Response.Builder()
        .request(request)
        .protocol(Protocol.HTTP_1_1)
        .code(status)
        .message(message(status))
        .sentRequestAtMillis(now)
        .receivedResponseAtMillis(now)
        .header("server", "inmesh");
    byte[] body;
    if (reason.startsWith("c")) {
      body = fromResponder(attempt, b);
    } else {
      body = LocalAnswer.envoyBody(reason).getBytes(StandardCharsets.UTF_8);
      b.header("x-inmesh-reason", reason);
    }
    b.header("content-type", "text/plain");
    b.header("content-length", String.valueOf(body.length));
    return b.body(ResponseBody.create(body, TEXT)).build();
  }

  /** A custom answer, as the responder serves it (status, reason, Location, body). */
  private static byte[] fromResponder(Attempt attempt, Response.Builder b) throws IOException {
    InetSocketAddress a = attempt.address();
    if (a == null || a.getAddress() == null) {
      return new byte[0]; // the responder could not start: the status alone (the engine logged why)
    }
    URL url = new URL("http", a.getAddress().getHostAddress(), a.getPort(), attempt.localReplyPath());
    HttpURLConnection c = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
    c.setInstanceFollowRedirects(false);
    c.setConnectTimeout(5000);
    c.setReadTimeout(5000);
    try {
      int status = c.getResponseCode();
      b.code(status).message(message(status));
      for (String h : new String[] {"x-inmesh-reason", "location"}) {
        String v = c.getHeaderField(h);
        if (v != null) {
          b.header(h, v);
        }
      }
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      if (in == null) {
        return new byte[0];
      }
      try (InputStream i = in) {
        return i.readAllBytes();
      }
    } finally {
      c.disconnect();
    }
  }

  private static String message(int status) {
    switch (status) {
      case 301: return "Moved Permanently";
      case 302: return "Found";
      case 400: return "Bad Request";
      case 403: return "Forbidden";
      case 404: return "Not Found";
      case 408: return "Request Timeout";
      case 429: return "Too Many Requests";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      case 504: return "Gateway Timeout";
      default: return "";
    }
  }
}
