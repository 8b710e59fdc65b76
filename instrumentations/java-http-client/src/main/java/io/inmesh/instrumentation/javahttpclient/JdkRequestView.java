package io.inmesh.instrumentation.javahttpclient;

import io.inmesh.bootstrap.OutboundRequest;
import java.net.URI;
import java.net.http.HttpRequest;

/** {@link OutboundRequest} over a {@code java.net.http.HttpRequest}; reads lazily, copies nothing. */
public final class JdkRequestView implements OutboundRequest {
  private final HttpRequest request;
  private final URI uri;

  public JdkRequestView(HttpRequest request) {
    this.request = request;
    this.uri = request.uri();
  }

  @Override
  public String method() {
    return request.method();
  }

  @Override
  public String scheme() {
    return uri.getScheme();
  }

  @Override
  public String host() {
    return uri.getHost();
  }

  @Override
  public int port() {
    return uri.getPort();
  }

  @Override
  public String path() {
    String p = uri.getRawPath();
    if (p == null || p.isEmpty()) {
      p = "/";
    }
    String q = uri.getRawQuery();
    return q == null ? p : p + "?" + q;
  }

  @Override
  public String header(String name) {
    return request.headers().firstValue(name).orElse(null);
  }
}
