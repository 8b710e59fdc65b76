package io.inmesh.bootstrap;

/** An answer the mesh gives itself instead of the application or the upstream. */
public final class LocalAnswer {
  private final int status;
  private final String body;
  private final String reason;

  public LocalAnswer(int status, String body, String reason) {
    this.status = status;
    this.body = body == null ? "" : body;
    this.reason = reason;
  }

  public int status() {
    return status;
  }

  /** The response body, e.g. {@code no healthy upstream}; empty when there is none. */
  public String body() {
    return body;
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
