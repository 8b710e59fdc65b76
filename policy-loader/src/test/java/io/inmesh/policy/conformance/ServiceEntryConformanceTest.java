package io.inmesh.policy.conformance;

import static io.inmesh.policy.Policies.routedTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.Policies;
import io.inmesh.policy.Req;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RouteTable;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** ServiceEntry hosts become routable hosts so timeouts, retries and circuit breaking reach calls outside the mesh. */
class ServiceEntryConformanceTest {

  static final String SE_REF = "https://istio.io/latest/docs/reference/config/networking/service-entry/";

  static final String WIKIPEDIA =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: external-svc-wikipedia}
      spec:
        hosts: [wikipedia.org]
        location: MESH_EXTERNAL
        ports: [{number: 80, name: example-http, protocol: HTTP}]
        resolution: DNS
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: my-wiki-rule}
      spec:
        hosts: [wikipedia.org]
        http:
        - timeout: 5s
          route:
          - destination: {host: wikipedia.org}
      """;

  @Test
  @DisplayName("DNS resolution: the call keeps its host (resolved by the application at connect time) and gets the route's timeout (" + SE_REF + ")")
  void dnsPassThroughWithPolicy() {
    RouteTable t = Policies.table(WIKIPEDIA, Map.of());
    RouteDecision d = t.decide(Req.get("wikipedia.org", "/wiki/Istio"));
    assertThat(d).isInstanceOf(RouteDecision.Routed.class);
    RouteDecision.Routed r = (RouteDecision.Routed) d;
    assertThat(r.cluster().passthrough()).isTrue();
    assertThat(r.addresses()[0].isUnresolved()).isTrue();
    assertThat(r.addresses()[0].getHostString()).isEqualTo("wikipedia.org");
    assertThat(r.policy().timeout()).hasSeconds(5);
    // a port the ServiceEntry does not declare: not this host, untouched
    assertThat(t.decide(Req.get("wikipedia.org", "/").port(8443))).isNull();
    // hosts nobody declared stay untouched
    assertThat(t.decide(Req.get("example.com", "/"))).isNull();
  }

  @Test
  @DisplayName("STATIC resolution: the endpoints' addresses, service port mapped to each endpoint's named port (" + SE_REF + "#ServiceEntry-Resolution)")
  void staticEndpoints() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: legacy}
        spec:
          hosts: [legacy.internal.example]
          location: MESH_INTERNAL
          ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}]
          resolution: STATIC
          endpoints:
          - {address: 192.0.2.10}
          - {address: 192.0.2.11, ports: {http: 9000}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: legacy}
        spec:
          host: legacy.internal.example
          trafficPolicy: {outlierDetection: {consecutive5xxErrors: 3}}
        """;
    RouteTable t = Policies.table(yaml, Map.of());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      seen.add(routedTo(t, Req.get("legacy.internal.example", "/")));
    }
    assertThat(seen).containsExactlyInAnyOrder("192.0.2.10:8080", "192.0.2.11:9000");
    RouteDecision.Routed r = (RouteDecision.Routed) t.decide(Req.get("legacy.internal.example", "/"));
    assertThat(r.trafficPolicy().outlierDetection().consecutive5xxErrors()).isEqualTo(3);
    assertThat(r.policy().retries().attempts()).isEqualTo(2); // the mesh default reaches external calls too
  }

  @Test
  @DisplayName("a VirtualService for a host outside the mesh without a ServiceEntry does not apply (" + "https://istio.io/latest/docs/reference/config/networking/virtual-service/#Destination)")
  void virtualServiceNeedsAServiceEntry() {
    String onlyVs = WIKIPEDIA.substring(WIKIPEDIA.indexOf("---") + 4);
    RouteTable t = Policies.table(onlyVs, Map.of());
    assertThat(t.decide(Req.get("wikipedia.org", "/"))).isNull();
    assertThat(t.warnings()).anySatisfy(w -> assertThat(w).contains("host wikipedia.org has no ServiceEntry"));
  }

  @Test
  @DisplayName("a non-HTTP port is not routed: inmesh routes HTTP only (" + SE_REF + "#ServicePort)")
  void tcpPortsPassThrough() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: db}
        spec:
          hosts: [db.example.com]
          addresses: [192.0.2.50]
          ports: [{number: 5432, name: tcp, protocol: TCP}]
          resolution: DNS
        """;
    RouteTable t = Policies.table(yaml, Map.of());
    assertThat(t.decide(Req.get("db.example.com", "/").port(5432))).isNull();
  }
}
