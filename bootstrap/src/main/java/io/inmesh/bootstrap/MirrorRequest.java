package io.inmesh.bootstrap;

import java.util.List;
import java.util.Map;

/**
 * A copy of a request for the route's mirrors: method, path with query, the headers the
 * application set, and the body when it is replayable (null otherwise: only body-less requests
 * and replayable bodies are mirrored).
 */
public final class MirrorRequest {
  private final String method;
  private final String path;
  private final Map<String, List<String>> headers;
  private final byte[] body;

  public MirrorRequest(String method, String path, Map<String, List<String>> headers, byte[] body) {
    this.method = method;
    this.path = path;
    this.headers = headers;
    this.body = body;
  }

  public String method() {
    return method;
  }

  public String path() {
    return path;
  }

  public Map<String, List<String>> headers() {
    return headers;
  }

  public byte[] body() {
    return body;
  }
}
