package io.inmesh.policy.model;

/** Istio Headers: operations on the request before forwarding and on the response before returning it. */
public record Headers(HeaderOperations request, HeaderOperations response) {
  public static final Headers NONE = new Headers(HeaderOperations.NONE, HeaderOperations.NONE);

  public boolean isEmpty() {
    return request.isEmpty() && response.isEmpty();
  }
}
