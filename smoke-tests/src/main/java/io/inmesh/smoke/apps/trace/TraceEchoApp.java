package io.inmesh.smoke.apps.trace;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A plain JDK HttpServer application (no inmesh code) that answers with the trace-context headers
 * it received, each as {@code [values...]} (so a header written twice shows). Usage:
 * {@code TraceEchoApp <address> <port>}.
 */
public final class TraceEchoApp {
  static final String[] HEADERS = {"traceparent", "tracestate", "baggage", "b3", "X-B3-TraceId", "X-B3-SpanId", "X-B3-Sampled"};

  private TraceEchoApp() {}

  public static void main(String[] args) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/", TraceEchoApp::answer);
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("trace echo listening on " + server.getAddress());
  }

  private static void answer(HttpExchange ex) throws IOException {
    StringBuilder json = new StringBuilder("{");
    for (String h : HEADERS) {
      List<String> values = ex.getRequestHeaders().get(h);
      if (values == null) {
        continue;
      }
      json.append(json.length() > 1 ? "," : "").append('"').append(h.toLowerCase()).append("\":[");
      for (int i = 0; i < values.size(); i++) {
        json.append(i > 0 ? "," : "").append('"').append(values.get(i).replace("\"", "'")).append('"');
      }
      json.append(']');
    }
    byte[] b = json.append('}').toString().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }
}
