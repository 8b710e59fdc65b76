package io.inmesh.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.HostNames;
import io.inmesh.policy.compile.MeshSnapshot;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.model.PolicyResource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTableTest {

  static final ServiceKey USUARIO = new ServiceKey("usuario-service", "default");
  static final Endpoint V1 = new Endpoint("127.0.0.21", List.of(8080), Map.of("app", "usuario-service", "version", "v1"), "a1");
  static final Endpoint V2 = new Endpoint("127.0.0.22", List.of(8080), Map.of("app", "usuario-service", "version", "v2"), "a2");
  static final Workload PEDIDO = new Workload("pedido-service", "default", Map.of("app", "pedido-service"));

  static List<PolicyResource> parse(String yaml) {
    ParseResult r = new PolicyParser().parseYaml("t.yaml", yaml);
    assertThat(r.hasErrors()).as(r.diagnostics().toString()).isFalse();
    List<PolicyResource> out = new ArrayList<>();
    r.resources().forEach(p -> out.add(p.resource()));
    return out;
  }

  static RouteTable table(List<PolicyResource> resources, Map<ServiceKey, List<Endpoint>> services) {
    return RouteTable.compile(new MeshSnapshot("v", 1, resources, services), PEDIDO);
  }

  static String routedTo(RouteTable t, TestRequests req) {
    RouteDecision d = t.decide(req);
    if (d instanceof RouteDecision.Routed r) {
      java.net.InetSocketAddress a = Policies.pick(r);
      return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
    return d == null ? "passthrough" : ((RouteDecision.Local) d).answer().status() + " " + ((RouteDecision.Local) d).answer().body();
  }

  @Test
  void seedCanaryHeaderGoesToV2AndEverythingElseToV1_loneDestinationGets100Percent() throws IOException {
    RouteTable t = table(parse(PolicyParserTest.resource("/seed/canary.yaml")), Map.of(USUARIO, List.of(V1, V2)));
    for (int i = 0; i < 200; i++) {
      assertThat(routedTo(t, TestRequests.get("usuario-service", "/usuarios/1").withHeader("x-canary", "true"))).isEqualTo("127.0.0.22:8080");
      assertThat(routedTo(t, TestRequests.get("usuario-service", "/usuarios/1"))).isEqualTo("127.0.0.21:8080");
      assertThat(routedTo(t, TestRequests.get("usuario-service", "/usuarios/1").withHeader("x-canary", "false"))).isEqualTo("127.0.0.21:8080");
    }
  }

  @Test
  void everyKubernetesSpellingOfTheHostResolvesWithOrWithoutPort() throws IOException {
    RouteTable t = table(parse(PolicyParserTest.resource("/seed/canary.yaml")), Map.of(USUARIO, List.of(V1, V2)));
    for (String host : List.of("usuario-service", "usuario-service.default", "usuario-service.default.svc", "usuario-service.default.svc.cluster.local", "Usuario-Service.default.svc.cluster.local.")) {
      assertThat(routedTo(t, TestRequests.get(host, "/"))).as(host).isEqualTo("127.0.0.21:8080");
      assertThat(routedTo(t, TestRequests.get(host, "/").withPort(80))).as(host + ":80").isEqualTo("127.0.0.21:8080");
    }
    assertThat(routedTo(t, TestRequests.get("example.com", "/"))).isEqualTo("passthrough");
    assertThat(routedTo(t, TestRequests.get("usuario-service.other", "/"))).isEqualTo("passthrough");
    assertThat(routedTo(t, TestRequests.get("127.0.0.21", "/"))).isEqualTo("passthrough");
  }

  @Test
  void servicePortMapsToTheEndpointsPrimaryPortAndAnExplicitPortToEndpointsThatRegisteredIt() {
    Endpoint twoPorts = new Endpoint("127.0.0.31", List.of(8080, 9090), Map.of("app", "s"), "x");
    Endpoint onePort = new Endpoint("127.0.0.32", List.of(8080), Map.of("app", "s"), "y");
    ServiceKey s = new ServiceKey("s", "default");
    RouteTable t = table(List.of(), Map.of(s, List.of(twoPorts, onePort)));
    assertThat(routedTo(t, TestRequests.get("s", "/").withPort(9090))).isEqualTo("127.0.0.31:9090");
    assertThat(routedTo(t, TestRequests.get("s", "/").withPort(9090))).isEqualTo("127.0.0.31:9090");
    assertThat(routedTo(t, TestRequests.get("s", "/").withPort(7777))).isEqualTo("503 no healthy upstream");
    // round robin over both endpoints' primary port
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < 10; i++) {
      seen.merge(routedTo(t, TestRequests.get("s", "/")), 1, Integer::sum);
    }
    assertThat(seen).containsEntry("127.0.0.31:8080", 5).containsEntry("127.0.0.32:8080", 5);
  }

  @Test
  void aSubsetWithoutEndpointsAnswers503NoHealthyUpstreamAsIstioDoes() throws IOException {
    RouteTable t = table(parse(PolicyParserTest.resource("/seed/canary.yaml")), Map.of(USUARIO, List.of(V1)));
    assertThat(routedTo(t, TestRequests.get("usuario-service", "/").withHeader("x-canary", "true"))).isEqualTo("503 no healthy upstream");
    assertThat(routedTo(t, TestRequests.get("usuario-service", "/"))).isEqualTo("127.0.0.21:8080");
  }

  @Test
  void fiftyFiftySplitIsWeightedPerCall() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: split}
        spec:
          hosts: [usuario-service]
          http:
          - route:
            - destination: {host: usuario-service, subset: v1}
              weight: 50
            - destination: {host: usuario-service, subset: v2}
              weight: 50
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: subsets}
        spec:
          host: usuario-service
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """;
    RouteTable t = table(parse(yaml), Map.of(USUARIO, List.of(V1, V2)));
    int v2 = 0;
    for (int i = 0; i < 10_000; i++) {
      if (routedTo(t, TestRequests.get("usuario-service", "/")).equals("127.0.0.22:8080")) {
        v2++;
      }
    }
    assertThat(v2).isBetween(4_500, 5_500);
  }

  @Test
  void noMatchingRuleAnswers404AndUriMatchesIgnoreTheQueryExceptPrefix() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: r}
        spec:
          hosts: [usuario-service]
          http:
          - match: [{uri: {exact: /usuarios/1}}, {uri: {regex: "/admin/[0-9]+"}}]
            route: [{destination: {host: usuario-service}}]
        """;
    RouteTable t = table(parse(yaml), Map.of(USUARIO, List.of(V1)));
    assertThat(routedTo(t, TestRequests.get("usuario-service", "/usuarios/1?x=1"))).isEqualTo("127.0.0.21:8080");
    assertThat(routedTo(t, TestRequests.get("usuario-service", "/admin/12"))).isEqualTo("127.0.0.21:8080");
    assertThat(routedTo(t, TestRequests.get("usuario-service", "/admin/12x"))).isEqualTo("404 ");
    assertThat(routedTo(t, TestRequests.get("usuario-service", "/usuarios/2"))).isEqualTo("404 ");
  }

  @Test
  void hostsThatCouldBeMeshServicesBeforeAnySnapshot() {
    assertThat(HostNames.couldBeMeshHost("usuario-service")).isTrue();
    assertThat(HostNames.couldBeMeshHost("usuario-service.default")).isTrue();
    assertThat(HostNames.couldBeMeshHost("usuario-service.dev")).isTrue();
    assertThat(HostNames.couldBeMeshHost("usuario-service.default.svc.cluster.local")).isTrue();
    assertThat(HostNames.couldBeMeshHost("localhost")).isFalse();
    assertThat(HostNames.couldBeMeshHost("127.0.0.1")).isFalse();
    assertThat(HostNames.couldBeMeshHost("example.com")).isFalse();
    assertThat(HostNames.couldBeMeshHost("api.github.com")).isFalse();
    assertThat(HostNames.couldBeMeshHost("[::1]")).isFalse();
  }

  @Test
  void describeListsHostsAliasesAndClusters() throws IOException {
    RouteTable t = table(parse(PolicyParserTest.resource("/seed/canary.yaml")), new LinkedHashMap<>(Map.of(USUARIO, List.of(V1, V2))));
    Map<String, Object> d = t.describe();
    assertThat(d.toString()).contains("usuario-service.default.svc.cluster.local").contains("outbound||v2|usuario-service.default.svc.cluster.local");
  }
}
