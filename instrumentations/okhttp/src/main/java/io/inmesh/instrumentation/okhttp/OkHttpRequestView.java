package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.OutboundRequest;
import okhttp3.HttpUrl;
import okhttp3.Request;

/** An OkHttp {@code Request} as the mesh reads it; nothing is copied. */
final class OkHttpRequestView implements OutboundRequest {
  private final Request request;

  OkHttpRequestView(Request request) {
    this.request = request;
  }

  @Override
  public String method() {
    return request.method();
  }

  @Override
  public String scheme() {
    return request.url().scheme();
  }

  @Override
  public String host() {
    return request.url().host();
  }

  /** OkHttp's {@code HttpUrl} keeps no "port absent": the scheme's default port reads as none. */
  @Override
  public int port() {
    HttpUrl url = request.url();
    return url.port() == HttpUrl.defaultPort(url.scheme()) ? -1 : url.port();
  }

  @Override
  public String path() {
    return pathOf(request.url());
  }

  @Override
  public String header(String name) {
    return request.header(name);
  }

  /** The raw path with its query, never empty. */
  static String pathOf(HttpUrl url) {
    String path = url.encodedPath();
    if (path.isEmpty()) {
      path = "/";
    }
    String query = url.encodedQuery();
    return query == null ? path : path + "?" + query;
  }

  /** The Host header OkHttp itself would send for {@code url}. */
  static String hostHeader(HttpUrl url) {
    String host = url.host().indexOf(':') >= 0 ? "[" + url.host() + "]" : url.host();
    return url.port() == HttpUrl.defaultPort(url.scheme()) ? host : host + ":" + url.port();
  }
}
