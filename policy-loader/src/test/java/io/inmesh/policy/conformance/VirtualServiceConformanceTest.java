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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Istio's documented VirtualService semantics, replayed against the compiled route table. Each case
 * names the istio.io page (and anchor) its expectation comes from.
 */
class VirtualServiceConformanceTest {

  static final String VS_REF = "https://istio.io/latest/docs/reference/config/networking/virtual-service/";
  static final String CONCEPTS = "https://istio.io/latest/docs/concepts/traffic-management/";

  static final ServiceKey REVIEWS = new ServiceKey("reviews", "default");
  static final Map<ServiceKey, List<Endpoint>> SERVICES =
      Map.of(
          REVIEWS,
          List.of(
              endpoint("10.0.0.1", 9080, "app", "reviews", "version", "v1"),
              endpoint("10.0.0.2", 9080, "app", "reviews", "version", "v2"),
              endpoint("10.0.0.3", 9080, "app", "reviews", "version", "v3")));
  static final String V1 = "10.0.0.1:9080";
  static final String V2 = "10.0.0.2:9080";
  static final String V3 = "10.0.0.3:9080";

  static final String SUBSETS =
      """
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: reviews}
      spec:
        host: reviews
        subsets:
        - {name: v1, labels: {version: v1}}
        - {name: v2, labels: {version: v2}}
        - {name: v3, labels: {version: v3}}
      """;

  static String vs(String http) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http:
        """
        + http.indent(2)
        + SUBSETS;
  }

  record Case(String yaml, Req request, String expected) {}

  static Arguments c(String name, String url, String http, Req request, String expected) {
    return Arguments.of(Named.of(name + " (" + url + ")", new Case(vs(http), request, expected)));
  }

  static Req get(String path) {
    return Req.get("reviews", path);
  }

  static Stream<Arguments> routing() {
    String firstWins =
        """
        - match: [{uri: {prefix: /api}}]
          route: [{destination: {host: reviews, subset: v2}}]
        - match: [{uri: {prefix: /api/v3}}]
          route: [{destination: {host: reviews, subset: v3}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    String orAnd =
        """
        - match:
          - {uri: {prefix: /a}, headers: {end-user: {exact: jason}}}
          - {uri: {prefix: /b}}
          route: [{destination: {host: reviews, subset: v2}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    String present =
        """
        - match: [{headers: {x-debug: {}}}]
          route: [{destination: {host: reviews, subset: v2}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    String regex =
        """
        - match: [{uri: {regex: "/reviews/[0-9]+"}}]
          route: [{destination: {host: reviews, subset: v2}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    String query =
        """
        - match: [{queryParams: {id: {regex: "\\\\d+"}, flag: {exact: ""}}}]
          route: [{destination: {host: reviews, subset: v2}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    String ignoreCase =
        """
        - match: [{uri: {prefix: /Reviews}, ignoreUriCase: true}]
          route: [{destination: {host: reviews, subset: v2}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    String without =
        """
        - match: [{withoutHeaders: {x-legacy: {exact: "1"}}}]
          route: [{destination: {host: reviews, subset: v2}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    String methodSchemeAuthorityPort =
        """
        - match: [{method: {exact: POST}, scheme: {exact: http}, authority: {prefix: reviews}, port: 9080}]
          route: [{destination: {host: reviews, subset: v2}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    String exactIgnoresQuery =
        """
        - match: [{uri: {exact: /ratings}}]
          route: [{destination: {host: reviews, subset: v2}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    String noCatchAll =
        """
        - match: [{uri: {prefix: /only}}]
          route: [{destination: {host: reviews, subset: v2}}]
        """;
    String direct =
        """
        - match: [{uri: {prefix: /gone}}]
          directResponse: {status: 410, body: {string: gone}}
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    String undefinedSubset =
        """
        - route: [{destination: {host: reviews, subset: v9}}]
        """;
    return Stream.of(
        c("the first matching rule wins", CONCEPTS + "#routing-rule-precedence", firstWins, get("/api/v3/x"), V2),
        c("a later rule is used when earlier ones do not match", VS_REF + "#VirtualService", firstWins, get("/other"), V1),
        c("match blocks are OR'd: the second block alone", VS_REF + "#HTTPRoute", orAnd, get("/b/1"), V2),
        c("fields in a block are AND'd: uri without the header does not match", VS_REF + "#HTTPRoute", orAnd, get("/a/1"), V1),
        c("fields in a block are AND'd: uri and header match", VS_REF + "#HTTPRoute", orAnd, get("/a/1").header("end-user", "jason"), V2),
        c("header {} means present, any value", VS_REF + "#HTTPMatchRequest", present, get("/").header("x-debug", ""), V2),
        c("header {} does not match an absent header", VS_REF + "#HTTPMatchRequest", present, get("/"), V1),
        c("regex matches the whole value", VS_REF + "#StringMatch", regex, get("/reviews/12"), V2),
        c("regex is not a substring search", VS_REF + "#StringMatch", regex, get("/reviews/12/x"), V1),
        c("queryParams regex \\d+ matches 123", VS_REF + "#HTTPMatchRequest", query, get("/?id=123&flag"), V2),
        c("queryParams regex \\d+ does not match a123", VS_REF + "#HTTPMatchRequest", query, get("/?id=a123&flag"), V1),
        c("queryParams exact \"\" needs the key present", VS_REF + "#HTTPMatchRequest", query, get("/?id=123"), V1),
        c("ignoreUriCase makes a prefix case-insensitive", VS_REF + "#HTTPMatchRequest", ignoreCase, get("/REVIEWS/1"), V2),
        c("withoutHeaders: a matching header excludes the request", VS_REF + "#HTTPMatchRequest", without, get("/").header("x-legacy", "1"), V1),
        c("withoutHeaders: other values still match", VS_REF + "#HTTPMatchRequest", without, get("/").header("x-legacy", "2"), V2),
        c("method, scheme, authority and port all hold", VS_REF + "#HTTPMatchRequest", methodSchemeAuthorityPort, get("/").method("POST").port(9080), V2),
        c("port is the port addressed", VS_REF + "#HTTPMatchRequest", methodSchemeAuthorityPort, get("/").method("POST"), V1),
        c("method is case-sensitive", VS_REF + "#HTTPMatchRequest", methodSchemeAuthorityPort, get("/").method("post").port(9080), V1),
        c("exact uri compares the path without its query", VS_REF + "#HTTPMatchRequest", exactIgnoresQuery, get("/ratings?x=1"), V2),
        c("no matching rule: 404 (Envoy NR)", CONCEPTS + "#routing-rule-precedence", noCatchAll, get("/else"), "404 NR"),
        c("directResponse answers with its status", VS_REF + "#HTTPDirectResponse", direct, get("/gone"), "410 DR"),
        c("a subset no DestinationRule defines: 503", VS_REF + "#Destination", undefinedSubset, get("/"), "503 NC"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routing")
  void routing(Case c) {
    RouteTable t = Policies.table(c.yaml, SERVICES);
    assertThat(routedTo(t, c.request)).isEqualTo(c.expected);
  }

  static Stream<Arguments> weights() {
    return Stream.of(
        Arguments.of(Named.of("a lone destination gets 100% whatever its weight (" + VS_REF + "#HTTPRouteDestination)",
            "- route: [{destination: {host: reviews, subset: v2}, weight: 10}]"), Map.of(V2, 1000)),
        Arguments.of(Named.of("weight 0 gets nothing (" + VS_REF + "#HTTPRouteDestination)",
            "- route: [{destination: {host: reviews, subset: v1}, weight: 100}, {destination: {host: reviews, subset: v2}, weight: 0}]"),
            Map.of(V1, 1000)),
        Arguments.of(Named.of("weights not summing to 100 split weight/sum (" + VS_REF + "#HTTPRouteDestination)",
            "- route: [{destination: {host: reviews, subset: v1}, weight: 1}, {destination: {host: reviews, subset: v2}, weight: 1}]"),
            Map.of(V1, 500, V2, 500)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("weights")
  void weights(String http, Map<String, Integer> expected) {
    RouteTable t = Policies.table(vs(http), SERVICES);
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      seen.merge(routedTo(t, get("/")), 1, Integer::sum);
    }
    assertThat(seen.keySet()).isEqualTo(expected.keySet());
    for (Map.Entry<String, Integer> e : expected.entrySet()) {
      assertThat(seen.get(e.getKey())).as(e.getKey()).isBetween(e.getValue() - 100, e.getValue() + 100);
    }
  }

  static Stream<Arguments> selectors() {
    String bySource =
        """
        - match: [{sourceLabels: {app: client, version: v1}}]
          route: [{destination: {host: reviews, subset: v2}}]
        - match: [{sourceNamespace: other}]
          route: [{destination: {host: reviews, subset: v3}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """;
    return Stream.of(
        Arguments.of(Named.of("sourceLabels select the calling workload (" + VS_REF + "#HTTPMatchRequest)", bySource),
            new Workload("client", "default", Map.of("app", "client", "version", "v1")), V2),
        Arguments.of(Named.of("sourceLabels: a workload without them skips the rule (" + VS_REF + "#HTTPMatchRequest)", bySource),
            new Workload("client", "default", Map.of("app", "client", "version", "v2")), V1),
        Arguments.of(Named.of("sourceNamespace selects callers of that namespace (" + VS_REF + "#HTTPMatchRequest)", bySource),
            new Workload("client", "other", Map.of("app", "client")), V3));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("selectors")
  void selectors(String http, Workload caller, String expected) {
    RouteTable t = Policies.table(vs(http).replace("hosts: [reviews]", "hosts: [reviews.default.svc.cluster.local]"), SERVICES, caller);
    assertThat(routedTo(t, Req.get("reviews.default", "/"))).isEqualTo(expected);
  }

  @Test
  @DisplayName("gateways without mesh: the rules do not apply to sidecars (" + VS_REF + "#VirtualService)")
  void gatewaysWithoutMeshDoNotApply() {
    String yaml = vs("- route: [{destination: {host: reviews, subset: v2}}]").replace("hosts: [reviews]", "hosts: [reviews]\n  gateways: [ingress]");
    RouteTable t = Policies.table(yaml, SERVICES);
    // the default route (all endpoints) applies instead
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < 6; i++) {
      seen.add(routedTo(t, get("/")));
    }
    assertThat(seen).containsExactlyInAnyOrder(V1, V2, V3);
    RouteTable withMesh = Policies.table(yaml.replace("[ingress]", "[ingress, mesh]"), SERVICES);
    assertThat(routedTo(withMesh, get("/"))).isEqualTo(V2);
  }

  @Test
  @DisplayName("exportTo: a VirtualService exported to '.' applies only in its namespace (" + VS_REF + "#VirtualService)")
  void exportToDot() {
    String yaml = vs("- route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]")
        .replace("hosts: [reviews]", "hosts: [reviews.default.svc.cluster.local]\n  exportTo: [\".\"]");
    assertThat(routedTo(Policies.table(yaml, SERVICES), Req.get("reviews.default", "/"))).isEqualTo(V2);
    RouteTable other = Policies.table(yaml, SERVICES, new Workload("c", "other", Map.of()));
    assertThat(routedTo(other, Req.get("reviews.default", "/"))).isNotEqualTo(V2).isIn(V1, V3);
  }

  @Test
  @DisplayName("short names are interpreted in the rule's namespace (" + VS_REF + "#Destination)")
  void shortNamesUseTheRulesNamespace() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: r, namespace: prod}
        spec:
          hosts: [reviews]
          http:
          - route: [{destination: {host: reviews}}]
        """;
    ServiceKey prod = new ServiceKey("reviews", "prod");
    RouteTable t = Policies.table(yaml, Map.of(prod, List.of(endpoint("10.1.0.1", 9080)), REVIEWS, SERVICES.get(REVIEWS)));
    assertThat(t.lookup("reviews.prod").virtualService()).isEqualTo("prod/r");
    assertThat(t.lookup("reviews").virtualService()).isNull(); // the client's own namespace: default
  }

  @Test
  @DisplayName("delegate: the delegate's rules apply under the root's match (" + VS_REF + "#Delegate)")
  void delegate() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: root}
        spec:
          hosts: [reviews]
          http:
          - match: [{uri: {prefix: /reviews}}]
            delegate: {name: reviews-delegate}
          - route: [{destination: {host: reviews, subset: v1}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews-delegate}
        spec:
          http:
          - match: [{uri: {prefix: /reviews/v3}}]
            route: [{destination: {host: reviews, subset: v3}}]
          - route: [{destination: {host: reviews, subset: v2}}]
        """
            + SUBSETS;
    RouteTable t = Policies.table(yaml, SERVICES);
    assertThat(routedTo(t, get("/reviews/v3/1"))).isEqualTo(V3);
    assertThat(routedTo(t, get("/reviews/1"))).isEqualTo(V2);
    assertThat(routedTo(t, get("/other"))).isEqualTo(V1);
  }

  @Test
  @DisplayName("retries: Istio's default is 2 attempts; a fault turns retries and timeout off (" + VS_REF + "#HTTPRoute)")
  void retryDefaultsAndFault() {
    String yaml =
        vs(
            """
            - match: [{headers: {x-fault: {}}}]
              fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
              retries: {attempts: 5}
              timeout: 2s
              route: [{destination: {host: reviews, subset: v1}}]
            - route: [{destination: {host: reviews, subset: v1}}]
              mirror: {host: reviews, subset: v3}
            """);
    RouteTable t = Policies.table(yaml, SERVICES);
    RouteDecision.Routed plain = (RouteDecision.Routed) t.decide(get("/"));
    assertThat(plain.policy().retries().attempts()).isEqualTo(2);
    assertThat(plain.policy().retries().retryOn()).isEqualTo("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503");
    assertThat(plain.policy().timeout()).isNull();
    assertThat(plain.policy().mirrors()).hasSize(1);
    assertThat(plain.policy().mirrors().get(0).percentage()).isEqualTo(100.0); // "If this field is absent, all the traffic (100%) will be mirrored"
    assertThat(plain.policy().mirrors().get(0).cluster().name()).isEqualTo("outbound||v3|reviews.default.svc.cluster.local");
    RouteDecision.Routed faulty = (RouteDecision.Routed) t.decide(get("/").header("x-fault", "1"));
    assertThat(faulty.policy().fault().abort().httpStatus()).isEqualTo(503);
    assertThat(faulty.policy().retries().enabled()).isFalse();
    assertThat(faulty.policy().timeout()).isNull();
  }
}
