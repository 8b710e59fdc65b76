package io.inmesh.policy.model;

import java.util.List;
import java.util.Map;

/**
 * Istio DestinationRule.
 *
 * @param trafficPolicy null when not given
 * @param exportTo empty: exported to every namespace
 * @param workloadSelector null: applies to every client workload that sees it
 */
public record DestinationRule(
    ResourceRef ref,
    String file,
    String host,
    List<Subset> subsets,
    TrafficPolicy trafficPolicy,
    List<String> exportTo,
    Map<String, String> workloadSelector)
    implements PolicyResource {

  public DestinationRule(ResourceRef ref, String file, String host, List<Subset> subsets) {
    this(ref, file, host, subsets, null, List.of(), null);
  }

  public Subset subset(String name) {
    for (Subset s : subsets) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }
}
