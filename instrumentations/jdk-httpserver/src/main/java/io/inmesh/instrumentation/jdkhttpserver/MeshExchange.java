package io.inmesh.instrumentation.jdkhttpserver;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import io.inmesh.bootstrap.InboundTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * The exchange the application sees when the mesh edits its request headers: any
 * {@code X-Forwarded-Client-Cert} the client sent is removed, and over mTLS the mesh's own is set,
 * as Istio's sidecars do. The JDK server's request headers cannot be changed, so the filter chain
 * goes on with this view (a {@code Filter} may hand the chain another exchange); everything else is
 * the JDK's own exchange.
 */
public final class MeshExchange extends HttpExchange {
  private final HttpExchange delegate;
  private final Headers requestHeaders;

  public MeshExchange(HttpExchange delegate, String xfcc) {
    this.delegate = delegate;
    Headers h = new Headers();
    for (Map.Entry<String, List<String>> e : delegate.getRequestHeaders().entrySet()) {
      if (!e.getKey().equalsIgnoreCase(InboundTls.XFCC_HEADER)) {
        h.put(e.getKey(), e.getValue());
      }
    }
    if (xfcc != null) {
      h.set(InboundTls.XFCC_HEADER, xfcc);
    }
    this.requestHeaders = h;
  }

  @Override
  public Headers getRequestHeaders() {
    return requestHeaders;
  }

  @Override
  public Headers getResponseHeaders() {
    return delegate.getResponseHeaders();
  }

  @Override
  public URI getRequestURI() {
    return delegate.getRequestURI();
  }

  @Override
  public String getRequestMethod() {
    return delegate.getRequestMethod();
  }

  @Override
  public HttpContext getHttpContext() {
    return delegate.getHttpContext();
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public InputStream getRequestBody() {
    return delegate.getRequestBody();
  }

  @Override
  public OutputStream getResponseBody() {
    return delegate.getResponseBody();
  }

  @Override
  public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
    delegate.sendResponseHeaders(rCode, responseLength);
  }

  @Override
  public InetSocketAddress getRemoteAddress() {
    return delegate.getRemoteAddress();
  }

  @Override
  public int getResponseCode() {
    return delegate.getResponseCode();
  }

  @Override
  public InetSocketAddress getLocalAddress() {
    return delegate.getLocalAddress();
  }

  @Override
  public String getProtocol() {
    return delegate.getProtocol();
  }

  @Override
  public Object getAttribute(String name) {
    return delegate.getAttribute(name);
  }

  @Override
  public void setAttribute(String name, Object value) {
    delegate.setAttribute(name, value);
  }

  @Override
  public void setStreams(InputStream i, OutputStream o) {
    delegate.setStreams(i, o);
  }

  @Override
  public HttpPrincipal getPrincipal() {
    return delegate.getPrincipal();
  }
}
