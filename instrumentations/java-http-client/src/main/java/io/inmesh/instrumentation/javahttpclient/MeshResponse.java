package io.inmesh.instrumentation.javahttpclient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * The response the application receives: the client's own, with the application's request as
 * {@code request()} and the route's response header edits applied.
 */
final class MeshResponse<T> implements HttpResponse<T> {
  private final HttpResponse<T> delegate;
  private final HttpRequest request;
  private final HttpHeaders headers;

  MeshResponse(HttpResponse<T> delegate, HttpRequest request, HttpHeaders headers) {
    this.delegate = delegate;
    this.request = request;
    this.headers = headers;
  }

  @Override
  public int statusCode() {
    return delegate.statusCode();
  }

  @Override
  public HttpRequest request() {
    return request;
  }

  @Override
  public Optional<HttpResponse<T>> previousResponse() {
    return delegate.previousResponse();
  }

  @Override
  public HttpHeaders headers() {
    return headers != null ? headers : delegate.headers();
  }

  @Override
  public T body() {
    return delegate.body();
  }

  @Override
  public Optional<SSLSession> sslSession() {
    return delegate.sslSession();
  }

  @Override
  public URI uri() {
    return delegate.uri();
  }

  @Override
  public HttpClient.Version version() {
    return delegate.version();
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
