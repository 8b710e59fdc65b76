package io.inmesh.instrumentation.reactornetty;

import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.Mesh;
import java.util.ArrayList;
import java.util.List;
import reactor.netty.http.client.HttpClient;

/**
 * A call that passes through (not a mesh host) gets the trace context of the request served on
 * the thread that subscribes, in the mesh profile only ({@link Mesh#propagate}). The headers are
 * collected first, so that a client is re-configured only when there is something to write (the
 * traced profile pays one small object).
 */
final class PassThroughTrace implements HeaderSink {
  private List<String> pairs;

  static HttpClient of(HttpClient client, ReactorRequestView view) {
    PassThroughTrace t = new PassThroughTrace();
    Mesh.propagate(view::header, t);
    if (t.pairs == null) {
      return client;
    }
    List<String> p = t.pairs;
    return client.headers(h -> {
      for (int i = 0; i < p.size(); i += 2) {
        h.set(p.get(i), p.get(i + 1));
      }
    });
  }

  @Override
  public void set(String name, String value) {
    if (pairs == null) {
      pairs = new ArrayList<>(6);
    }
    pairs.add(name);
    pairs.add(value);
  }

  @Override
  public void add(String name, String value) {
    set(name, value);
  }

  @Override
  public void remove(String name) {
    // only ever adds
  }
}
