package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.HeaderSink;
import okhttp3.Response;

/** The route's response header edits, on the delivered {@code Response.Builder}. */
final class ResponseHeaderSink implements HeaderSink {
  private final Response.Builder builder;

  ResponseHeaderSink(Response.Builder builder) {
    this.builder = builder;
  }

  @Override
  public void set(String name, String value) {
    builder.header(name, value);
  }

  @Override
  public void add(String name, String value) {
    builder.addHeader(name, value);
  }

  @Override
  public void remove(String name) {
    builder.removeHeader(name);
  }
}
