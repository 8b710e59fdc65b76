package io.inmesh.policy.bind;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.Policies;
import io.inmesh.policy.model.DestinationRule;
import io.inmesh.policy.model.LoadBalancerSettings.SimpleLb;
import io.inmesh.policy.model.TrafficPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The opt-in latency-aware balancer, bound from {@code metadata.annotations["inmesh.io/load-balancer"]}. */
class LoadBalancerAnnotationTest {

  private static String dr(String annotation, String spec) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
        """
        + (annotation == null ? "" : "  annotations: {inmesh.io/load-balancer: " + annotation + "}\n")
        + "spec:\n"
        + spec.indent(2);
  }

  private static DestinationRule parse(String yaml) {
    return (DestinationRule) Policies.parse(yaml).get(0);
  }

  @Test
  void theAnnotationSelectsPeakEwmaForTheRuleAndItsSubsets() {
    DestinationRule d = parse(dr("PEAK_EWMA", "host: reviews\nsubsets: [{name: v1, labels: {version: v1}}]\ntrafficPolicy: {connectionPool: {tcp: {maxConnections: 7}}}"));
    assertThat(d.trafficPolicy().loadBalancerOrDefault().simple()).isEqualTo(SimpleLb.PEAK_EWMA);
    assertThat(d.trafficPolicy().connectionPool().tcp().maxConnections()).isEqualTo(7);
    TrafficPolicy v1 = TrafficPolicy.effective(d.trafficPolicy(), d.subsets().get(0).trafficPolicy(), null);
    assertThat(v1.loadBalancerOrDefault().simple()).isEqualTo(SimpleLb.PEAK_EWMA);
  }

  @Test
  void withoutTrafficPolicyTheAnnotationStillApplies() {
    assertThat(parse(dr("PEAK_EWMA", "host: reviews")).trafficPolicy().loadBalancerOrDefault().simple()).isEqualTo(SimpleLb.PEAK_EWMA);
  }

  @Test
  void withoutTheAnnotationIstiosDefaultStays() {
    assertThat(parse(dr(null, "host: reviews")).trafficPolicy()).isNull();
  }

  @Test
  void aBadValueIsAnErrorWithTheFieldPath() {
    List<String> m = Policies.messages(dr("FASTEST", "host: reviews"));
    assertThat(String.join("\n", m)).contains("metadata.annotations.inmesh.io/load-balancer").contains("PEAK_EWMA").contains("FASTEST");
    assertThat(Policies.parseResult("t.yaml", dr("FASTEST", "host: reviews")).hasErrors()).isTrue();
  }

  @Test
  void aConflictingIstioBalancerIsAnError() {
    assertThat(Policies.parseResult("t.yaml", dr("PEAK_EWMA", "host: reviews\ntrafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}")).hasErrors()).isTrue();
    assertThat(String.join("\n", Policies.messages(dr("PEAK_EWMA", "host: reviews\ntrafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}"))))
        .contains("conflicts with spec.trafficPolicy.loadBalancer.consistentHash");
    // LEAST_REQUEST is Istio's default; writing it out does not conflict.
    assertThat(parse(dr("PEAK_EWMA", "host: reviews\ntrafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}")).trafficPolicy().loadBalancer().simple())
        .isEqualTo(SimpleLb.PEAK_EWMA);
  }

  @Test
  void peakEwmaIsNotAnIstioSimpleValue() {
    assertThat(Policies.parseResult("t.yaml", dr(null, "host: reviews\ntrafficPolicy: {loadBalancer: {simple: PEAK_EWMA}}")).hasErrors()).isTrue();
  }
}
