package io.inmesh.policy.conformance;

import static io.inmesh.policy.Policies.endpoint;
import static io.inmesh.policy.Policies.routedTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.Policies;
import io.inmesh.policy.Req;
import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.model.ConnectionPoolSettings;
import io.inmesh.policy.model.DestinationRule;
import io.inmesh.policy.model.LoadBalancerSettings;
import io.inmesh.policy.model.OutlierDetection;
import io.inmesh.policy.model.TrafficPolicy;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Istio's documented DestinationRule defaults and inheritance. */
class DestinationRuleConformanceTest {

  static final String DR_REF = "https://istio.io/latest/docs/reference/config/networking/destination-rule/";
  static final ServiceKey REVIEWS = new ServiceKey("reviews", "default");
  static final Map<ServiceKey, List<Endpoint>> SERVICES =
      Map.of(
          REVIEWS,
          List.of(
              endpoint("10.0.0.1", 9080, "version", "v1"),
              endpoint("10.0.0.2", 9080, "version", "v2"),
              endpoint("10.0.0.4", 9080, "version", "v1")));

  static DestinationRule dr(String spec) {
    return (DestinationRule)
        Policies.parse(
                """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews}
                spec:
                """
                    + spec.indent(2))
            .get(0);
  }

  @Test
  @DisplayName("connectionPool defaults: 2^32-1 connections/pending/requests/retries, 10s connect, 1h idle (" + DR_REF + "#ConnectionPoolSettings-TCPSettings)")
  void connectionPoolDefaults() {
    DestinationRule d = dr("host: reviews\ntrafficPolicy: {connectionPool: {tcp: {maxConnections: 100}}}");
    ConnectionPoolSettings cp = d.trafficPolicy().connectionPool();
    assertThat(cp.tcp().maxConnections()).isEqualTo(100);
    assertThat(cp.tcp().connectTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(cp.tcp().idleTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(cp.http().http1MaxPendingRequests()).isEqualTo(4_294_967_295L);
    assertThat(cp.http().http2MaxRequests()).isEqualTo(4_294_967_295L);
    assertThat(cp.http().maxRetries()).isEqualTo(4_294_967_295L);
    assertThat(cp.http().maxRequestsPerConnection()).isZero(); // "Default 0, meaning unlimited"
    assertThat(cp.http().idleTimeout()).isEqualTo(Duration.ofHours(1));
  }

  @Test
  @DisplayName("outlierDetection defaults: 5 consecutive 5xx, 10s interval, 30s base ejection, 10% max ejected, 0% min health (" + DR_REF + "#OutlierDetection)")
  void outlierDefaults() {
    OutlierDetection od = dr("host: reviews\ntrafficPolicy: {outlierDetection: {}}").trafficPolicy().outlierDetection();
    assertThat(od.consecutive5xxErrors()).isEqualTo(5);
    assertThat(od.consecutiveGatewayErrors()).isZero();
    assertThat(od.interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(od.baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
    assertThat(od.maxEjectionPercent()).isEqualTo(10);
    assertThat(od.minHealthPercent()).isZero();
    // "A host will remain ejected for a period equal to the product of minimum ejection duration and the number of times the host has been ejected"
    assertThat(od.ejectionTime(3)).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  @DisplayName("the deprecated consecutiveErrors counts gateway errors only (" + DR_REF + "#OutlierDetection)")
  void deprecatedConsecutiveErrors() {
    OutlierDetection od = dr("host: reviews\ntrafficPolicy: {outlierDetection: {consecutiveErrors: 7}}").trafficPolicy().outlierDetection();
    assertThat(od.consecutiveGatewayErrors()).isEqualTo(7);
    assertThat(od.consecutive5xxErrors()).isZero();
  }

  @Test
  @DisplayName("no loadBalancer: Istio picks its default (UNSPECIFIED); no outlierDetection: nothing is ejected (" + DR_REF + "#LoadBalancerSettings-SimpleLB)")
  void unsetGroups() {
    TrafficPolicy tp = TrafficPolicy.effective(dr("host: reviews").trafficPolicy(), null, null);
    assertThat(tp.loadBalancerOrDefault().simple()).isEqualTo(LoadBalancerSettings.SimpleLb.UNSPECIFIED);
    assertThat(tp.outlierDetectionOrNull()).isNull();
    assertThat(tp.connectionPoolOrDefault()).isEqualTo(ConnectionPoolSettings.DEFAULT);
  }

  @Test
  @DisplayName("a subset's settings override the corresponding top-level ones; the rest is inherited (" + DR_REF + "#Subset)")
  void subsetOverridesTopLevel() {
    DestinationRule d =
        dr(
            """
            host: reviews
            trafficPolicy:
              loadBalancer: {simple: RANDOM}
              connectionPool: {tcp: {maxConnections: 10}}
            subsets:
            - name: v2
              labels: {version: v2}
              trafficPolicy:
                connectionPool: {tcp: {maxConnections: 99}}
            """);
    TrafficPolicy v2 = TrafficPolicy.effective(d.trafficPolicy(), d.subset("v2").trafficPolicy(), null);
    assertThat(v2.connectionPool().tcp().maxConnections()).isEqualTo(99);
    assertThat(v2.loadBalancer().simple()).isEqualTo(LoadBalancerSettings.SimpleLb.RANDOM);
  }

  @Test
  @DisplayName("port-level settings override and do not inherit: omitted groups take defaults (" + DR_REF + "#TrafficPolicy)")
  void portLevelDoesNotInherit() {
    DestinationRule d =
        dr(
            """
            host: reviews
            trafficPolicy:
              loadBalancer: {simple: RANDOM}
              connectionPool: {tcp: {maxConnections: 10}}
              portLevelSettings:
              - port: {number: 9080}
                connectionPool: {tcp: {maxConnections: 5}}
            """);
    TrafficPolicy at9080 = TrafficPolicy.effective(d.trafficPolicy(), null, 9080);
    assertThat(at9080.connectionPool().tcp().maxConnections()).isEqualTo(5);
    assertThat(at9080.loadBalancer()).isNull(); // not inherited from the top level
    assertThat(at9080.loadBalancerOrDefault().simple()).isEqualTo(LoadBalancerSettings.SimpleLb.UNSPECIFIED);
    TrafficPolicy other = TrafficPolicy.effective(d.trafficPolicy(), null, 8080);
    assertThat(other.loadBalancer().simple()).isEqualTo(LoadBalancerSettings.SimpleLb.RANDOM);
    assertThat(other.connectionPool().tcp().maxConnections()).isEqualTo(10);

    // the compiled route exposes the policy for the port the call goes to
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          trafficPolicy:
            connectionPool: {tcp: {maxConnections: 10}}
            portLevelSettings:
            - port: {number: 9080}
              connectionPool: {tcp: {maxConnections: 5}}
        """;
    RouteTable t = Policies.table(yaml, SERVICES);
    RouteDecision.Routed r = (RouteDecision.Routed) t.decide(Req.get("reviews", "/").port(9080));
    assertThat(r.trafficPolicy().connectionPool().tcp().maxConnections()).isEqualTo(5);
    RouteDecision.Routed plain = (RouteDecision.Routed) t.decide(Req.get("reviews", "/"));
    assertThat(plain.trafficPolicy().connectionPool().tcp().maxConnections()).isEqualTo(10);
  }

  @Test
  @DisplayName("loadBalancer RANDOM and ROUND_ROBIN reach the route's traffic policy (" + DR_REF + "#LoadBalancerSettings-SimpleLB); the agent's BalancerTest shows them applied")
  void balancing() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
          subsets:
          - {name: v1, labels: {version: v1}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http:
          - route: [{destination: {host: reviews, subset: v1}}]
        """;
    for (String lb : List.of("ROUND_ROBIN", "RANDOM")) {
      RouteTable t = Policies.table(yaml.replace("ROUND_ROBIN", lb), SERVICES);
      RouteDecision.Routed r = (RouteDecision.Routed) t.decide(Req.get("reviews", "/"));
      assertThat(r.trafficPolicy().loadBalancerOrDefault().simple().name()).isEqualTo(lb);
      assertThat(r.addresses()).extracting(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).containsExactlyInAnyOrder("10.0.0.1:9080", "10.0.0.4:9080");
    }
  }

  @Test
  @DisplayName("the DestinationRule is looked up in the client's namespace first, then the service's (" + DR_REF + "#DestinationRule)")
  void lookupOrder() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: in-service-ns, namespace: default}
        spec:
          host: reviews.default.svc.cluster.local
          trafficPolicy: {loadBalancer: {simple: RANDOM}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: in-client-ns, namespace: shop}
        spec:
          host: reviews.default.svc.cluster.local
          trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
        """;
    RouteTable fromShop = Policies.table(yaml, SERVICES, new Workload("c", "shop", Map.of()));
    RouteDecision.Routed a = (RouteDecision.Routed) fromShop.decide(Req.get("reviews.default", "/"));
    assertThat(a.trafficPolicy().loadBalancer().simple()).isEqualTo(LoadBalancerSettings.SimpleLb.ROUND_ROBIN);
    RouteTable fromElsewhere = Policies.table(yaml, SERVICES, new Workload("c", "web", Map.of()));
    RouteDecision.Routed b = (RouteDecision.Routed) fromElsewhere.decide(Req.get("reviews.default", "/"));
    assertThat(b.trafficPolicy().loadBalancer().simple()).isEqualTo(LoadBalancerSettings.SimpleLb.RANDOM);
  }

  @Test
  @DisplayName("workloadSelector: the rule applies only to the selected client workloads of its namespace (" + DR_REF + "#DestinationRule)")
  void workloadSelector() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          workloadSelector: {matchLabels: {app: client}}
          subsets:
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http:
          - route: [{destination: {host: reviews, subset: v2}}]
        """;
    assertThat(routedTo(Policies.table(yaml, SERVICES), Req.get("reviews", "/"))).isEqualTo("10.0.0.2:9080");
    RouteTable other = Policies.table(yaml, SERVICES, new Workload("x", "default", Map.of("app", "other")));
    assertThat(routedTo(other, Req.get("reviews", "/"))).isEqualTo("503 NC");
  }

  @Test
  @DisplayName("a wildcard DestinationRule in the root namespace is the mesh-wide default; a more specific one in a closer namespace wins (" + DR_REF + "#DestinationRule)")
  void meshWideWildcardDefault() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: mesh-default, namespace: istio-system}
        spec:
          host: "*.local"
          trafficPolicy: {loadBalancer: {simple: RANDOM}}
        """;
    RouteDecision.Routed r = (RouteDecision.Routed) Policies.table(yaml, SERVICES).decide(Req.get("reviews", "/"));
    assertThat(r.trafficPolicy().loadBalancer().simple()).isEqualTo(LoadBalancerSettings.SimpleLb.RANDOM);
    String withOwn =
        yaml
            + """
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
            """;
    RouteDecision.Routed own = (RouteDecision.Routed) Policies.table(withOwn, SERVICES).decide(Req.get("reviews", "/"));
    assertThat(own.trafficPolicy().loadBalancer().simple()).isEqualTo(LoadBalancerSettings.SimpleLb.ROUND_ROBIN);
  }
}
