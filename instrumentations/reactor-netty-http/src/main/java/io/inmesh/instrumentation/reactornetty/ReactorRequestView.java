package io.inmesh.instrumentation.reactornetty;

import io.inmesh.bootstrap.OutboundRequest;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Reactor Netty request as the mesh sees it: the client's configured method, URL and headers,
 * plus (under WebClient) the headers the WebClient request will write, which win as they do on
 * the wire.
 */
final class ReactorRequestView implements OutboundRequest {
  private final String method;
  private final URI uri;
  private final HttpHeaders configured;
  private final Map<String, List<String>> webClient;

  ReactorRequestView(String method, URI uri, HttpHeaders configured, Map<String, List<String>> webClient) {
    this.method = method.toUpperCase(Locale.ROOT);
    this.uri = uri;
    this.configured = configured;
    this.webClient = webClient;
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String scheme() {
    return uri.getScheme().toLowerCase(Locale.ROOT);
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
    return pathAndQuery(uri);
  }

  @Override
  public String header(String name) {
    if (webClient != null) {
      List<String> v = webClient.get(name);
      if (v != null && !v.isEmpty()) {
        return v.get(0);
      }
    }
    return configured == null ? null : configured.get(name);
  }

  static String pathAndQuery(URI uri) {
    String p = uri.getRawPath();
    if (p == null || p.isEmpty()) {
      p = "/";
    }
    return uri.getRawQuery() == null ? p : p + "?" + uri.getRawQuery();
  }
}
