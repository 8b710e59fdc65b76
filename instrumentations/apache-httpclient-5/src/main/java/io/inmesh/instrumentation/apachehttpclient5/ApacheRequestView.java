package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.OutboundRequest;
import java.util.Locale;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.net.URIAuthority;

/**
 * {@link OutboundRequest} over an Apache HttpClient 5 request as it enters the exec chain. A request
 * made with {@code execute(HttpHost, request)} may carry no authority of its own yet (the protocol
 * stage sets it from the route further down): then the route's target names the host.
 */
public final class ApacheRequestView implements OutboundRequest {
  private final HttpRequest request;
  private final String scheme;
  private final URIAuthority authority;

  public ApacheRequestView(HttpRequest request, HttpHost routeTarget) {
    this.request = request;
    String s = request.getScheme();
    this.scheme = s != null ? s : routeTarget == null ? "http" : routeTarget.getSchemeName();
    URIAuthority a = request.getAuthority();
    if (a == null && routeTarget != null) {
      a = new URIAuthority(routeTarget.getHostName(), routeTarget.getPort());
    }
    this.authority = a;
  }

  /** The authority the application addressed (the logical name; what the Host header says). */
  URIAuthority authority() {
    return authority;
  }

  @Override
  public String method() {
    return request.getMethod().toUpperCase(Locale.ROOT);
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public String host() {
    return authority == null ? null : authority.getHostName();
  }

  @Override
  public int port() {
    return authority == null ? -1 : authority.getPort();
  }

  @Override
  public String path() {
    String p = request.getPath();
    return p == null || p.isEmpty() ? "/" : p;
  }

  @Override
  public String header(String name) {
    Header h = request.getFirstHeader(name);
    return h == null ? null : h.getValue();
  }
}
