package io.inmesh.policy.model;

import java.util.Map;

/** A named group of a service's endpoints, selected by labels, with an optional policy override. */
public record Subset(String name, Map<String, String> labels, TrafficPolicy trafficPolicy) {
  public Subset(String name, Map<String, String> labels) {
    this(name, labels, null);
  }
}
