package io.inmesh.control.api;

/** A request the API refuses: becomes {@code {"error": ..., "hint": ...}} with this status. */
public final class ApiException extends RuntimeException {

  private final int status;
  private final String hint;

  public ApiException(int status, String error, String hint) {
    super(error, null, false, false);
    this.status = status;
    this.hint = hint;
  }

  public static ApiException badRequest(String error, String hint) {
    return new ApiException(400, error, hint);
  }

  public int status() {
    return status;
  }

  public String hint() {
    return hint;
  }
}
