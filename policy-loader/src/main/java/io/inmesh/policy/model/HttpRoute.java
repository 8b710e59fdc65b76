package io.inmesh.policy.model;

import java.util.List;

/** One {@code http[]} rule of a VirtualService; an empty match list matches every request. */
public record HttpRoute(String name, List<HttpMatch> match, List<RouteDestination> route) {}
