package io.inmesh.policy.model;

import java.util.List;

/** Istio DestinationRule: the subsets of a host (traffic policies come with later work). */
public record DestinationRule(ResourceRef ref, String file, String host, List<Subset> subsets)
    implements PolicyResource {

  public Subset subset(String name) {
    for (Subset s : subsets) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }
}
