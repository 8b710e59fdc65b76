package io.inmesh.instrumentation.jettyclient;

import io.inmesh.bootstrap.HeaderSink;
import org.eclipse.jetty.http.HttpFields;

/** The route's header edits, on Jetty's mutable headers of a request or a response. */
final class FieldsSink implements HeaderSink {
  private final HttpFields.Mutable fields;

  FieldsSink(HttpFields.Mutable fields) {
    this.fields = fields;
  }

  @Override
  public void set(String name, String value) {
    fields.put(name, value);
  }

  @Override
  public void add(String name, String value) {
    fields.add(name, value);
  }

  @Override
  public void remove(String name) {
    fields.remove(name);
  }
}
