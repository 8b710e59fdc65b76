package io.inmesh.instrumentation.jettyclient;

import io.inmesh.bootstrap.OutboundRequest;
import org.eclipse.jetty.client.Request;

/** A Jetty {@code Request} as the mesh reads it; nothing is copied. */
final class JettyRequestView implements OutboundRequest {
  private final Request request;

  JettyRequestView(Request request) {
    this.request = request;
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String scheme() {
    return request.getScheme();
  }

  @Override
  public String host() {
    return request.getHost();
  }

  /** Jetty normalizes a missing port to the scheme's default: that reads as none. */
  @Override
  public int port() {
    int port = request.getPort();
    return port == 80 && "http".equalsIgnoreCase(request.getScheme()) ? -1 : port;
  }

  @Override
  public String path() {
    return pathOf(request);
  }

  @Override
  public String header(String name) {
    return request.getHeaders().get(name);
  }

  static String pathOf(Request request) {
    String path = request.getPath();
    if (path == null || path.isEmpty()) {
      path = "/";
    }
    String query = request.getQuery();
    return query == null || query.isEmpty() ? path : path + "?" + query;
  }
}
