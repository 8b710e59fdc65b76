package io.inmesh.policy.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.Policies;
import io.inmesh.policy.authz.AuthorizationDecision;
import io.inmesh.policy.authz.AuthorizationEvaluator;
import io.inmesh.policy.authz.AuthorizationRequest;
import io.inmesh.policy.compile.MeshSnapshot;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.compile.Workload;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Istio's documented AuthorizationPolicy semantics: evaluation order, empty-rule cases, value
 * matching, sources, operations and conditions, replayed against {@link AuthorizationEvaluator}.
 */
class AuthorizationConformanceTest {

  static final String AP_REF = "https://istio.io/latest/docs/reference/config/security/authorization-policy/";
  static final String CONCEPTS = "https://istio.io/latest/docs/concepts/security/#authorization-policies";
  static final String CONDITIONS = "https://istio.io/latest/docs/reference/config/security/conditions/";

  /** The workload under test: app=httpbin in namespace foo. */
  static final Workload HTTPBIN = new Workload("httpbin", "foo", Map.of("app", "httpbin", "version", "v1"));

  static final AuthorizationRequest.Simple GET_INFO =
      AuthorizationRequest.Simple.of("GET", "/info").from("cluster.local/ns/default/sa/sleep").fromIp("10.0.0.5");

  static String policy(String name, String spec) {
    return """
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: %s, namespace: foo}
        spec:
        %s
        """
        .formatted(name, spec.indent(2));
  }

  static AuthorizationEvaluator evaluator(String yaml) {
    RouteTable t = RouteTable.compile(new MeshSnapshot("v", 1, Policies.parse(yaml), Map.of()), HTTPBIN);
    return t.authorization();
  }

  static Arguments c(String name, String url, String yaml, AuthorizationRequest request, boolean allowed) {
    return Arguments.of(Named.of(name + " (" + url + ")", yaml), request, allowed);
  }

  static Stream<Arguments> cases() {
    String allowNothing = policy("allow-nothing", "{}");
    String allowAll = policy("allow-all", "rules: [{}]");
    String denyPostFromDev =
        policy("deny-dev", "action: DENY\nrules:\n- from: [{source: {namespaces: [dev]}}]\n  to: [{operation: {methods: [POST]}}]");
    String httpbinExample =
        policy(
            "httpbin",
            """
            action: ALLOW
            rules:
            - from:
              - source: {principals: ["cluster.local/ns/default/sa/sleep"]}
              - source: {namespaces: ["test"]}
              to:
              - operation: {methods: ["GET"], paths: ["/info*"]}
              - operation: {methods: ["POST"], paths: ["/data"]}
            """);
    String andedSource = policy("anded", "rules:\n- from: [{source: {principals: [\"cluster.local/ns/default/sa/sleep\"], namespaces: [prod]}}]");
    String presence = policy("authenticated", "rules:\n- from: [{source: {principals: [\"*\"]}}]");
    String suffix = policy("suffix", "rules:\n- to: [{operation: {paths: [\"*/health\"]}}]");
    String notPaths = policy("not-admin", "rules:\n- to: [{operation: {notPaths: [\"/admin*\"]}}]");
    String templates = policy("templates", "rules:\n- to: [{operation: {paths: [\"/foo/{*}\", \"/bar/{*}/baz/{**}\"]}}]");
    String hosts = policy("hosts", "rules:\n- to: [{operation: {hosts: [\"*.Example.com\"], ports: [\"8080\"]}}]");
    String ip = policy("ip", "rules:\n- from: [{source: {ipBlocks: [\"10.0.0.0/24\"], notIpBlocks: [\"10.0.0.9\"]}}]");
    String when =
        policy(
            "when",
            "rules:\n- when:\n  - key: request.headers[x-token]\n    values: [\"abc*\"]\n    notValues: [\"abcbad\"]");
    String jwt = policy("jwt", "rules:\n- from: [{source: {requestPrincipals: [\"*\"]}}]");
    String denyNoJwt = policy("require-jwt", "action: DENY\nrules:\n- from: [{source: {notRequestPrincipals: [\"*\"]}}]") + allowAll;
    String audit = policy("audit", "action: AUDIT\nrules: [{}]");
    String custom = policy("ext", "action: CUSTOM\nprovider: {name: my-authz}\nrules: [{}]");
    String denyAll = policy("deny-all", "action: DENY\nrules: [{}]") + allowAll;
    String otherWorkload = policy("other", "selector: {matchLabels: {app: productpage}}");
    String dryRun =
        """
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: dry
          namespace: foo
          annotations: {"istio.io/dry-run": "true"}
        spec:
          action: DENY
          rules: [{}]
        """;
    String rootNs =
        """
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: mesh-deny, namespace: istio-system}
        spec:
          action: DENY
          selector: {matchLabels: {version: v1}}
          rules: [{to: [{operation: {paths: ["/secret"]}}]}]
        """;
    String serviceAccounts = policy("sa", "rules:\n- from: [{source: {serviceAccounts: [\"default/sleep\"]}}]");
    String trustDomains = policy("td", "rules:\n- from: [{source: {trustDomains: [\"cluster.local\"]}}]");
    String conditionNs = policy("ns-cond", "rules:\n- when: [{key: source.namespace, values: [default]}]");

    AuthorizationRequest.Simple r = GET_INFO;
    return Stream.of(
        c("no policy: allow", CONCEPTS, "", r, true),
        c("spec: {} allows nothing: deny", AP_REF, allowNothing, r, false),
        c("rules: [{}] allows everything", AP_REF, allowAll, r, true),
        c("the doc's DENY example denies POST from dev", AP_REF, denyPostFromDev, r.withMethod("POST").from("cluster.local/ns/dev/sa/x"), false),
        c("only DENY policies and none matches: allow", AP_REF + "#AuthorizationPolicy", denyPostFromDev, r, true),
        c("the doc's ALLOW example: GET /info from sleep", AP_REF, httpbinExample, r, true),
        c("the doc's ALLOW example: prefix /info* covers /info/x", AP_REF, httpbinExample, r.withPath("/info/x"), true),
        c("the doc's ALLOW example: POST /data from namespace test", AP_REF, httpbinExample, r.withMethod("POST").withPath("/data").from("cluster.local/ns/test/sa/any"), true),
        c("the doc's ALLOW example: GET /data matches no operation: deny", AP_REF, httpbinExample, r.withPath("/data"), false),
        c("the doc's ALLOW example: from another namespace: deny", AP_REF, httpbinExample, r.from("cluster.local/ns/other/sa/sleep"), false),
        c("fields of a source are AND'd", AP_REF + "#Source", andedSource, r, false),
        c("presence * needs a value: plain text has no principal", AP_REF + "#Rule", presence, r.from(null), false),
        c("presence * matches any principal", AP_REF + "#Rule", presence, r, true),
        c("suffix match *abc", AP_REF + "#Rule", suffix, r.withPath("/api/health"), true),
        c("notPaths: /admin* excluded", AP_REF + "#Operation", notPaths, r.withPath("/admin/users"), false),
        c("notPaths: everything else allowed", AP_REF + "#Operation", notPaths, r.withPath("/users"), true),
        c("path template {*} matches one segment", AP_REF + "#Operation", templates, r.withPath("/foo/bar"), true),
        c("path template {*} does not cross segments", AP_REF + "#Operation", templates, r.withPath("/foo/bar/baz"), false),
        c("path template {**} matches across segments", AP_REF + "#Operation", templates, r.withPath("/bar/buzz/baz/a/b"), true),
        c("paths ignore the query string", AP_REF + "#Operation", httpbinExample, r.withPath("/info?x=1"), true),
        c("hosts match case-insensitively, with the port", AP_REF + "#Operation", hosts, r.withHost("API.example.com:8080").onPort(8080), true),
        c("ports must match", AP_REF + "#Operation", hosts, r.withHost("api.example.com").onPort(9090), false),
        c("ipBlocks: an address in the CIDR", AP_REF + "#Source", ip, r, true),
        c("notIpBlocks: the excluded address", AP_REF + "#Source", ip, r.fromIp("10.0.0.9"), false),
        c("when: values prefix and notValues", CONDITIONS, when, r.withHeader("x-token", "abc123"), true),
        c("when: notValues excludes", CONDITIONS, when, r.withHeader("x-token", "abcbad"), false),
        c("when: an absent header does not match values", CONDITIONS, when, r, false),
        c("when: source.namespace from the peer identity", CONDITIONS, conditionNs, r, true),
        c("requestPrincipals without JWT support: no request principal, deny", AP_REF + "#Source", jwt, r, false),
        c("DENY notRequestPrincipals [*] denies requests without a JWT", AP_REF + "#Source", denyNoJwt, r, false),
        c("AUDIT does not decide: no ALLOW policy, allow", AP_REF + "#AuthorizationPolicy-Action", audit, r, true),
        // Istio denies when a CUSTOM policy's provider is missing; inmesh has no providers
        c("CUSTOM without a provider denies what it matches", AP_REF + "#AuthorizationPolicy-Action", custom, r, false),
        c("CUSTOM is evaluated before ALLOW", AP_REF + "#AuthorizationPolicy-Action", custom + allowAll, r, false),
        c("normalisation: /../ cannot reach a denied path (" + NORMALIZATION + ")", NORMALIZATION, rootNs, r.withPath("/public/../secret"), false),
        c("normalisation: %2F is decoded before matching", NORMALIZATION, rootNs, r.withPath("/%73ecret%2Fx/..%2F..%2Fsecret"), false),
        c("normalisation: merged slashes and backslashes", NORMALIZATION, rootNs, r.withPath("//public\\..\\secret"), false),
        c("normalisation: %00 is refused", NORMALIZATION, allowAll, r.withPath("/info%00"), false),
        c("DENY is evaluated before ALLOW", AP_REF, denyAll, r, false),
        c("a selector for another workload does not apply", AP_REF + "#AuthorizationPolicy", otherWorkload, r, true),
        c("dry-run policies never decide", AP_REF, dryRun, r, true),
        c("a root-namespace policy applies to matching workloads of every namespace", AP_REF, rootNs, r.withPath("/secret"), false),
        c("serviceAccounts ns/sa match the peer identity", AP_REF + "#Source", serviceAccounts, r, true),
        c("trustDomains match the peer identity's trust domain", AP_REF + "#Source", trustDomains, r, true),
        c("trustDomains: another trust domain does not", AP_REF + "#Source", trustDomains, r.from("other.domain/ns/default/sa/sleep"), false),
        c("serviceAccounts: another account does not", AP_REF + "#Source", serviceAccounts, r.from("cluster.local/ns/default/sa/other"), false));
  }

  static final String NORMALIZATION = "https://istio.io/latest/docs/reference/config/security/normalization/";

  @Test
  @DisplayName("the deciding policy's rule index and the audit policy are reported, for the audit trail")
  void ruleIndexAndAuditPolicy() {
    AuthorizationDecision d =
        evaluator(policy("audit", "action: AUDIT\nrules: [{to: [{operation: {methods: [POST]}}]}, {}]")
                + policy("allow", "rules: [{to: [{operation: {methods: [POST]}}]}, {to: [{operation: {paths: [\"/info\"]}}]}]"))
            .evaluate(GET_INFO);
    assertThat(d.allowed()).isTrue();
    assertThat(d.policy()).isEqualTo("foo/allow");
    assertThat(d.rule()).isEqualTo(1);
    assertThat(d.auditPolicy()).isEqualTo("foo/audit[1]");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void evaluates(String yaml, AuthorizationRequest request, boolean allowed) {
    AuthorizationEvaluator e = yaml.isEmpty() ? AuthorizationEvaluator.NONE : evaluator(yaml);
    AuthorizationDecision d = e.evaluate(request);
    assertThat(d.allowed()).as(d.reason()).isEqualTo(allowed);
  }

  @Test
  @DisplayName("AUDIT marks the decision without changing it (" + AP_REF + "#AuthorizationPolicy-Action)")
  void auditMarks() {
    AuthorizationDecision d = evaluator(policy("audit", "action: AUDIT\nrules: [{}]") + policy("allow-all", "rules: [{}]")).evaluate(GET_INFO);
    assertThat(d.allowed()).isTrue();
    assertThat(d.audit()).isTrue();
    assertThat(d.policy()).isEqualTo("foo/allow-all");
  }

  @Test
  @DisplayName("a denied request is answered 403 RBAC: access denied (" + CONCEPTS + ")")
  void forbiddenAnswer() {
    assertThat(AuthorizationDecision.FORBIDDEN.status()).isEqualTo(403);
    assertThat(AuthorizationDecision.FORBIDDEN.body()).isEqualTo("RBAC: access denied");
    AuthorizationDecision d = evaluator(policy("allow-nothing", "{}")).evaluate(GET_INFO);
    assertThat(d.reason()).isEqualTo("no ALLOW policy matched");
  }
}
