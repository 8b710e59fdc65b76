package io.inmesh.policy.bind;

import io.inmesh.policy.model.DestinationRule;
import io.inmesh.policy.model.ResourceRef;
import io.inmesh.policy.model.Subset;
import io.inmesh.policy.model.TrafficPolicy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Binds and checks a DestinationRule spec (https://istio.io/latest/docs/reference/config/networking/destination-rule/). */
final class DestinationRuleBinder {

  private static final Set<String> SPEC = Set.of("host", "subsets", "trafficPolicy", "exportTo", "workloadSelector");
  private static final Set<String> SUBSET = Set.of("name", "labels", "trafficPolicy");

  private DestinationRuleBinder() {}

  static DestinationRule bind(ResourceRef ref, String file, Cursor root, Cursor spec) {
    spec.checkFields(SPEC, null);
    String host = spec.get("host").string();
    if (host == null && !spec.get("host").present()) {
      spec.error("missing spec.host", "name the service these subsets belong to, e.g. host: usuario-service");
    } else if (host != null && !DnsNames.isHost(host)) {
      spec.get("host").error("\"" + host + "\" is not a valid host", null);
      host = null;
    }
    TrafficPolicy top = TrafficPolicyBinder.bind(spec.get("trafficPolicy"));
    top =
        TrafficPolicyBinder.withAnnotatedLoadBalancer(
            root.get("metadata").get("annotations").get(TrafficPolicyBinder.LOAD_BALANCER_ANNOTATION), top);
    List<String> exportTo = CommonBinders.exportTo(spec.get("exportTo"));
    Map<String, String> selector = CommonBinders.selector(spec.get("workloadSelector"), "workloadSelector");
    List<Subset> subsets = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Cursor s : spec.get("subsets").items()) {
      if (!s.expectMap()) {
        continue;
      }
      s.checkFields(SUBSET, Map.of("selector", "Istio selects a subset's endpoints with labels"));
      String name = s.get("name").string();
      if (name == null) {
        if (!s.get("name").present()) {
          s.error("missing subset name", null);
        }
        continue;
      }
      if (!DnsNames.isDns1123Label(name)) {
        s.get("name").error("\"" + name + "\" is not a valid subset name", "use lower-case letters, digits and '-'");
        continue;
      }
      if (!names.add(name)) {
        s.get("name").error("duplicate subset name \"" + name + "\"", null);
      }
      Map<String, String> labels = s.get("labels").stringMap();
      TrafficPolicy tp = TrafficPolicyBinder.bind(s.get("trafficPolicy"));
      subsets.add(new Subset(name, labels, tp));
    }
    return host == null ? null : new DestinationRule(ref, file, host, List.copyOf(subsets), top, exportTo, selector);
  }
}
