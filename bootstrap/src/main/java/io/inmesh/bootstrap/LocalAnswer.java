package io.inmesh.bootstrap;

import java.util.HashMap;
import java.util.Map;

/** An answer the mesh gives itself instead of the application or the upstream. */
public final class LocalAnswer {
  /** Envoy's wording for its local replies, by response flag, so clients see what Istio sends. */
  private static final Map<String, String> ENVOY_BODIES = new HashMap<>();

  static {
    ENVOY_BODIES.put("UH", "no healthy upstream");
    ENVOY_BODIES.put("NC", "no healthy upstream");
    ENVOY_BODIES.put("NR", "");
    ENVOY_BODIES.put("RBAC", "RBAC: access denied");
    ENVOY_BODIES.put("FI", "fault filter abort");
    ENVOY_BODIES.put("URX", "");
    ENVOY_BODIES.put("UT", "upstream request timeout");
    ENVOY_BODIES.put("UO", "upstream connect error or disconnect/reset before headers. reset reason: overflow");
  }

  private final int status;
  private final String body;
  private final String reason;
  private final String location;

  public LocalAnswer(int status, String body, String reason) {
    this(status, body, reason, null);
  }

  /** @param location the {@code Location} header of a redirect, else null */
  public LocalAnswer(int status, String body, String reason, String location) {
    this.status = status;
    this.body = body == null ? "" : body;
    this.reason = reason;
    this.location = location;
  }

  /** An answer with Envoy's body for {@code reason}. */
  public static LocalAnswer of(int status, String reason) {
    return new LocalAnswer(status, envoyBody(reason), reason);
  }

  /** Envoy's body for a response flag; empty for flags without one. */
  public static String envoyBody(String reason) {
    String b = ENVOY_BODIES.get(reason);
    return b == null ? "" : b;
  }

  public int status() {
    return status;
  }

  /** The response body, e.g. {@code no healthy upstream}; empty when there is none. */
  public String body() {
    return body;
  }

  /** The {@code Location} of a redirect answer, else null. */
  public String location() {
    return location;
  }

  /** True when the answer carries more than Envoy's fixed wording for its flag (a custom body or a Location). */
  public boolean custom() {
    return location != null || !body.equals(envoyBody(reason));
  }

  /** Why the mesh answered (for the access log and the response header), e.g. {@code UH}. */
  public String reason() {
    return reason;
  }

  @Override
  public String toString() {
    return status + " " + body + " (" + reason + ")";
  }
}
