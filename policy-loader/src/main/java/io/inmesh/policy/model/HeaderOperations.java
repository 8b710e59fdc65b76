package io.inmesh.policy.model;

import java.util.List;
import java.util.Map;

/** Istio Headers.HeaderOperations: overwrite, append (comma-joined) and remove. */
public record HeaderOperations(Map<String, String> set, Map<String, String> add, List<String> remove) {
  public static final HeaderOperations NONE = new HeaderOperations(Map.of(), Map.of(), List.of());

  public boolean isEmpty() {
    return set.isEmpty() && add.isEmpty() && remove.isEmpty();
  }
}
