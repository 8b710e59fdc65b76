package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.HeaderSink;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpMessage;

/** The route's header operations on an Apache request or response, in its own header list. */
public final class MessageHeaders implements HeaderSink, java.util.function.Function<String, String> {
  private final HttpMessage message;

  public MessageHeaders(HttpMessage message) {
    this.message = message;
  }

  @Override
  public void set(String name, String value) {
    message.setHeader(name, value);
  }

  @Override
  public void add(String name, String value) {
    message.addHeader(name, value);
  }

  @Override
  public void remove(String name) {
    message.removeHeaders(name);
  }

  /** The message's first value of a header, for {@code Mesh.propagate}. */
  @Override
  public String apply(String name) {
    return first(message, name);
  }

  /** A call that passes through gets the trace context of the request served on this thread (mesh profile only). */
  public static void propagate(HttpMessage request) {
    MessageHeaders h = new MessageHeaders(request);
    io.inmesh.bootstrap.Mesh.propagate(h, h);
  }

  /** The first value of a header, or null: what {@code Attempt.onResponse} reads. */
  public static String first(HttpMessage message, String name) {
    Header h = message.getFirstHeader(name);
    return h == null ? null : h.getValue();
  }
}
