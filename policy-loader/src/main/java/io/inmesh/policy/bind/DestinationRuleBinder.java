package io.inmesh.policy.bind;

import io.inmesh.policy.model.DestinationRule;
import io.inmesh.policy.model.ResourceRef;
import io.inmesh.policy.model.Subset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Binds and checks a DestinationRule spec (https://istio.io/latest/docs/reference/config/networking/destination-rule/). */
final class DestinationRuleBinder {

  private static final Set<String> SPEC = Set.of("host", "subsets", "trafficPolicy", "exportTo", "workloadSelector");
  private static final Set<String> SUBSET = Set.of("name", "labels", "trafficPolicy");
  private static final Set<String> TRAFFIC_POLICY =
      Set.of("loadBalancer", "connectionPool", "outlierDetection", "tls", "portLevelSettings", "tunnel", "proxyProtocol", "retryBudget");

  /** Fields people write from memory or from other meshes, and what Istio calls them. */
  static final Map<String, String> TRAFFIC_POLICY_HINTS =
      Map.of(
          "circuitBreaker",
              "Istio has no circuitBreaker field: use outlierDetection (consecutive5xxErrors, interval,"
                  + " baseEjectionTime, maxEjectionPercent) and connectionPool for limits",
          "circuitBreakers", "Istio calls this outlierDetection (and connectionPool for limits)",
          "loadBalancing", "Istio calls this loadBalancer",
          "outlierDetector", "Istio calls this outlierDetection");

  private DestinationRuleBinder() {}

  static DestinationRule bind(ResourceRef ref, String file, Cursor spec) {
    spec.checkFields(SPEC, null);
    String host = spec.get("host").string();
    if (host == null && !spec.get("host").present()) {
      spec.error("missing spec.host", "name the service these subsets belong to, e.g. host: usuario-service");
    } else if (host != null && !DnsNames.isHost(host)) {
      spec.get("host").error("\"" + host + "\" is not a valid host", null);
    }
    checkTrafficPolicy(spec.get("trafficPolicy"));
    for (String later : new String[] {"exportTo", "workloadSelector"}) {
      if (spec.get(later).present()) {
        spec.get(later).warn("parsed but not enforced by this inmesh version", null);
      }
    }
    List<Subset> subsets = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Cursor s : spec.get("subsets").items()) {
      if (!s.expectMap()) {
        continue;
      }
      s.checkFields(SUBSET, null);
      String name = s.get("name").string();
      if (name == null) {
        if (!s.get("name").present()) {
          s.error("missing subset name", null);
        }
        continue;
      }
      if (!names.add(name)) {
        s.get("name").error("duplicate subset name \"" + name + "\"", null);
      }
      Map<String, String> labels = s.get("labels").stringMap();
      checkTrafficPolicy(s.get("trafficPolicy"));
      subsets.add(new Subset(name, labels));
    }
    return host == null ? null : new DestinationRule(ref, file, host, List.copyOf(subsets));
  }

  private static void checkTrafficPolicy(Cursor tp) {
    if (!tp.present() || !tp.expectMap()) {
      return;
    }
    tp.checkFields(TRAFFIC_POLICY, TRAFFIC_POLICY_HINTS);
    for (String f : TRAFFIC_POLICY) {
      if (tp.get(f).present()) {
        tp.get(f).warn("parsed but not enforced by this inmesh version", null);
      }
    }
  }
}
