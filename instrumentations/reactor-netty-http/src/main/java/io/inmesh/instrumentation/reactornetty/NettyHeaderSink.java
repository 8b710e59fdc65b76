package io.inmesh.instrumentation.reactornetty;

import io.inmesh.bootstrap.HeaderSink;
import io.netty.handler.codec.http.HttpHeaders;

/** The route's header edits on Netty's own (mutable) header structure. */
final class NettyHeaderSink implements HeaderSink {
  private final HttpHeaders headers;

  NettyHeaderSink(HttpHeaders headers) {
    this.headers = headers;
  }

  @Override
  public void set(String name, String value) {
    headers.set(name, value);
  }

  @Override
  public void add(String name, String value) {
    headers.add(name, value);
  }

  @Override
  public void remove(String name) {
    headers.remove(name);
  }
}
