package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.HeaderSink;
import okhttp3.Request;

/** The route's request header edits, on an attempt's {@code Request.Builder}. */
final class RequestHeaderSink implements HeaderSink {
  private final Request.Builder builder;

  RequestHeaderSink(Request.Builder builder) {
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
