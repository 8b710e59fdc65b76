package io.inmesh.policy;

import io.inmesh.bootstrap.OutboundRequest;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** A fully configurable outbound request for tests of the route table. */
public record Req(String method, String scheme, String host, int port, String path, Map<String, String> headers)
    implements OutboundRequest {

  public static Req get(String host, String path) {
    return new Req("GET", "http", host, -1, path, Map.of());
  }

  public Req method(String m) {
    return new Req(m, scheme, host, port, path, headers);
  }

  public Req scheme(String s) {
    return new Req(method, s, host, port, path, headers);
  }

  public Req port(int p) {
    return new Req(method, scheme, host, p, path, headers);
  }

  public Req header(String name, String value) {
    Map<String, String> h = new HashMap<>(headers);
    h.put(name.toLowerCase(Locale.ROOT), value);
    return new Req(method, scheme, host, port, path, h);
  }

  @Override
  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }
}
