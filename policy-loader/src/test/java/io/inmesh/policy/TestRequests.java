package io.inmesh.policy;

import io.inmesh.bootstrap.OutboundRequest;
import java.util.Locale;
import java.util.Map;

/** A plain request view for tests of the plain-Java core. */
public record TestRequests(String method, String host, int port, String path, Map<String, String> headers)
    implements OutboundRequest {

  public static TestRequests get(String host, String path) {
    return new TestRequests("GET", host, -1, path, Map.of());
  }

  public TestRequests withHeader(String name, String value) {
    java.util.HashMap<String, String> h = new java.util.HashMap<>(headers);
    h.put(name.toLowerCase(Locale.ROOT), value);
    return new TestRequests(method, host, port, path, h);
  }

  public TestRequests withPort(int p) {
    return new TestRequests(method, host, p, path, headers);
  }

  @Override
  public String scheme() {
    return "http";
  }

  @Override
  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }
}
