package io.inmesh.policy.model;

import java.util.Map;

/** A named group of a service's endpoints, selected by labels. */
public record Subset(String name, Map<String, String> labels) {}
