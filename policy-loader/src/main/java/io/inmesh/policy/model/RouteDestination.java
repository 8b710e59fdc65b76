package io.inmesh.policy.model;

/** A weighted destination of an HTTP route; weight null means "not given". */
public record RouteDestination(Destination destination, Integer weight) {}
