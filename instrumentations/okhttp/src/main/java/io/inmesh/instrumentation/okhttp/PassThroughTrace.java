package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.Mesh;
import java.util.function.Function;
import okhttp3.Request;

/**
 * A call that passes through (not a mesh host) gets the trace context of the request served on
 * this thread, in the mesh profile only ({@link Mesh#propagate}). OkHttp requests are immutable: a
 * copy is built only when a header is actually written, so the traced profile pays nothing.
 */
final class PassThroughTrace implements Function<String, String>, HeaderSink {
  private final Request request;
  private Request.Builder builder;

  private PassThroughTrace(Request request) {
    this.request = request;
  }

  static Request of(Request request) {
    PassThroughTrace t = new PassThroughTrace(request);
    Mesh.propagate(t, t);
    return t.builder == null ? request : t.builder.build();
  }

  @Override
  public String apply(String name) {
    return request.header(name);
  }

  private Request.Builder builder() {
    if (builder == null) {
      builder = request.newBuilder();
    }
    return builder;
  }

  @Override
  public void set(String name, String value) {
    builder().header(name, value);
  }

  @Override
  public void add(String name, String value) {
    builder().addHeader(name, value);
  }

  @Override
  public void remove(String name) {
    if (request.header(name) != null) {
      builder().removeHeader(name);
    }
  }
}
