package io.inmesh.policy.model;

/** A weighted destination of an HTTP route; weight null means "not given". */
public record RouteDestination(Destination destination, Integer weight, Headers headers) {
  public RouteDestination(Destination destination, Integer weight) {
    this(destination, weight, Headers.NONE);
  }
}
