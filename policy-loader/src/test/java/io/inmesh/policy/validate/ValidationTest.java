package io.inmesh.policy.validate;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.ParseResult;
import io.inmesh.policy.Policies;
import io.inmesh.policy.diag.Diagnostic;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Findings about single documents: every type error or impossible value is an error naming file,
 * line, resource and field; unknown fields and what inmesh does not enforce are warnings that say
 * so.
 */
class ValidationTest {

  static String vs(String http) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: r}
        spec:
          hosts: [a]
          http:
        """
        + http.indent(2);
  }

  static String dr(String spec) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: d}
        spec:
          host: a
        """
        + spec.indent(2);
  }

  static String kind(String apiVersion, String kind, String spec) {
    return """
        apiVersion: %s
        kind: %s
        metadata: {name: x, namespace: foo}
        spec:
        %s
        """
        .formatted(apiVersion, kind, spec.indent(2));
  }

  static Arguments e(String name, String yaml, String expected) {
    return Arguments.of(Named.of(name, yaml), "error", expected);
  }

  static Arguments w(String name, String yaml, String expected) {
    return Arguments.of(Named.of(name, yaml), "warning", expected);
  }

  static Stream<Arguments> findings() {
    String route = "route: [{destination: {host: a}}]";
    return Stream.of(
        e("timeout needs a unit", vs("- timeout: 5\n  " + route), "t.yaml:7: error: VirtualService default/r: spec.http[0].timeout: must be a duration such as 500ms, 5s or 1m, got number 5 (hint: add the unit: \"5s\")"),
        e("timeout below 1ms", vs("- timeout: 100us\n  " + route), "spec.http[0].timeout: must be at least 1ms"),
        e("retries attempts negative", vs("- retries: {attempts: -1}\n  " + route), "spec.http[0].retries.attempts: must be an integer 0..2147483647, got number -1"),
        e("retryOn unknown", vs("- retries: {attempts: 2, retryOn: \"5xx,boom\"}\n  " + route), "\"boom\" is not a valid retryOn policy"),
        e("retry fields with attempts 0", vs("- retries: {perTryTimeout: 2s}\n  " + route), "retry policy configured while attempts is 0"),
        e("weight over 100", vs("- route: [{destination: {host: a}, weight: 101}]"), "spec.http[0].route[0].weight: must be an integer 0..100, got number 101"),
        e("all weights zero", vs("- route: [{destination: {host: a, subset: x}}, {destination: {host: a, subset: y}}]"), "total destination weight = 0"),
        e("route and redirect together", vs("- redirect: {uri: /x}\n  " + route), "a rule cannot have both route and redirect"),
        e("redirect code not 3xx", vs("- redirect: {uri: /x, redirectCode: 200}"), "spec.http[0].redirect.redirectCode: must be an integer 300..399"),
        e("abort status out of range", vs("- fault: {abort: {httpStatus: 700, percentage: {value: 10}}}\n  " + route), "spec.http[0].fault.abort.httpStatus: must be an integer 200..599"),
        e("percentage above 100", vs("- fault: {delay: {fixedDelay: 1s, percentage: {value: 150}}}\n  " + route), "spec.http[0].fault.delay.percentage.value: must be a number 0..100"),
        e("fault without abort or delay", vs("- fault: {}\n  " + route), "a fault needs an abort and/or a delay"),
        e("empty uri prefix", vs("- match: [{uri: {prefix: \"\"}}]\n  " + route), "spec.http[0].match[0].uri.prefix: prefix must not be empty"),
        e("port out of range", vs("- match: [{port: 70000}]\n  " + route), "spec.http[0].match[0].port: must be an integer 1..65535"),
        e("wildcard * host for the mesh", vs("- " + route).replace("hosts: [a]", "hosts: [\"*\"]"), "wildcard host * is not allowed for virtual services bound to the mesh gateway"),
        e("mirror and mirrors", vs("- mirror: {host: b}\n  mirrors: [{destination: {host: c}}]\n  " + route), "give only one of mirror and mirrors"),
        e("rewrite uri and regex", vs("- rewrite: {uri: /x, uriRegexRewrite: {match: \"^/a\", rewrite: /b}}\n  " + route), "give only one of uri and uriRegexRewrite"),
        e("exportTo garbage", vs("- " + route).replace("hosts: [a]", "hosts: [a]\n  exportTo: [\"Not_A_Namespace\"]"), "is not a namespace, \".\", \"*\" or \"~\""),
        e("subset name invalid", vs("- route: [{destination: {host: a, subset: V_1}}]"), "\"V_1\" is not a valid subset name"),
        e("DR enum lower case", dr("trafficPolicy: {loadBalancer: {simple: random}}"), "must be one of UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST, got \"random\" (hint: enum values are upper case: RANDOM)"),
        e("DR maxEjectionPercent", dr("trafficPolicy: {outlierDetection: {maxEjectionPercent: 150}}"), "maxEjectionPercent: must be an integer 0..100"),
        e("DR connectTimeout type", dr("trafficPolicy: {connectionPool: {tcp: {connectTimeout: true}}}"), "connectTimeout: must be a duration"),
        e("DR port-level without port", dr("trafficPolicy: {portLevelSettings: [{loadBalancer: {simple: RANDOM}}]}"), "missing port"),
        e("DR consistentHash with two keys", dr("trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, useSourceIp: true}}}"), "give only one hash key"),
        e("DR tls MUTUAL without certificates", dr("trafficPolicy: {tls: {mode: MUTUAL}}"), "spec.trafficPolicy.tls.clientCertificate: mode MUTUAL needs clientCertificate and privateKey (or credentialName)"),
        e("DR tls MUTUAL without its key", dr("trafficPolicy: {tls: {mode: MUTUAL, clientCertificate: /etc/hosts}}"), "spec.trafficPolicy.tls.privateKey: mode MUTUAL needs clientCertificate and privateKey (or credentialName)"),
        e("DR tls SIMPLE with a missing CA file", dr("trafficPolicy: {portLevelSettings: [{port: {number: 80}, tls: {mode: SIMPLE, caCertificates: /nonexistent/inmesh/ca.pem}}]}"),
            "t.yaml:6: error: DestinationRule default/d: spec.trafficPolicy.portLevelSettings[0].tls.caCertificates: no readable file /nonexistent/inmesh/ca.pem"),
        e("DR tls MUTUAL with a missing key file", dr("trafficPolicy: {tls: {mode: MUTUAL, clientCertificate: /nonexistent/c.pem, privateKey: /nonexistent/k.pem}}"),
            "spec.trafficPolicy.tls.privateKey: no readable file /nonexistent/k.pem"),
        e("DR tls file path relative", dr("trafficPolicy: {tls: {mode: SIMPLE, caCertificates: certs/ca.pem}}"), "spec.trafficPolicy.tls.caCertificates: must be an absolute path"),
        e("DR tls CA file without certificates", dr("trafficPolicy: {tls: {mode: SIMPLE, caCertificates: /etc/hosts}}"), "holds no PEM CERTIFICATE block"),
        e("PA mode unknown", kind("security.istio.io/v1", "PeerAuthentication", "mtls: {mode: STRIKT}"), "spec.mtls.mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT"),
        e("PA portLevelMtls without selector", kind("security.istio.io/v1", "PeerAuthentication", "portLevelMtls: {8080: {mode: DISABLE}}"), "portLevelMtls requires selector"),
        e("AP DENY without rules", kind("security.istio.io/v1", "AuthorizationPolicy", "action: DENY"), "DENY action without rules is meaningless"),
        e("AP empty from", kind("security.istio.io/v1", "AuthorizationPolicy", "rules: [{from: []}]"), "from must not be empty"),
        e("AP empty source", kind("security.istio.io/v1", "AuthorizationPolicy", "rules: [{from: [{source: {}}]}]"), "from.source must not be empty"),
        e("AP bad CIDR", kind("security.istio.io/v1", "AuthorizationPolicy", "rules: [{from: [{source: {ipBlocks: [\"10.0.0.0/40\"]}}]}]"), "\"10.0.0.0/40\" is not an IP address or CIDR block"),
        e("AP port not a number", kind("security.istio.io/v1", "AuthorizationPolicy", "rules: [{to: [{operation: {ports: [\"http\"]}}]}]"), "\"http\" is not a port 1..65535"),
        e("AP unknown condition key", kind("security.istio.io/v1", "AuthorizationPolicy", "rules: [{when: [{key: request.host, values: [a]}]}]"), "unknown attribute \"request.host\""),
        e("AP condition without values", kind("security.istio.io/v1", "AuthorizationPolicy", "rules: [{when: [{key: source.ip}]}]"), "at least one of values or notValues must be set"),
        e("AP invalid path template", kind("security.istio.io/v1", "AuthorizationPolicy", "rules: [{to: [{operation: {paths: [\"/{**}/foo/{*}\"]}}]}]"), "{**} must be the last operator"),
        e("AP provider without CUSTOM", kind("security.istio.io/v1", "AuthorizationPolicy", "provider: {name: x}\nrules: [{}]"), "provider must only be used with action CUSTOM"),
        e("SE without hosts", kind("networking.istio.io/v1", "ServiceEntry", "ports: [{number: 80, name: http, protocol: HTTP}]"), "a ServiceEntry needs at least one host"),
        e("SE STATIC endpoint that is a name", kind("networking.istio.io/v1", "ServiceEntry", "hosts: [db.example.com]\nresolution: STATIC\nports: [{number: 80, name: http}]\nendpoints: [{address: db1.example.com}]"), "is not an IP address (resolution STATIC)"),
        e("SE NONE with endpoints", kind("networking.istio.io/v1", "ServiceEntry", "hosts: [x.example.com]\nports: [{number: 80, name: http}]\nendpoints: [{address: 1.2.3.4}]"), "no endpoints should be given for resolution NONE"),
        e("SE endpoint port not declared", kind("networking.istio.io/v1", "ServiceEntry", "hosts: [x.example.com]\nresolution: STATIC\nports: [{number: 80, name: http}]\nendpoints: [{address: 1.2.3.4, ports: {grpc: 9000}}]"), "endpoint port \"grpc\" is not defined by the service entry's ports"),
        e("SE duplicate port", kind("networking.istio.io/v1", "ServiceEntry", "hosts: [x.example.com]\nports: [{number: 80, name: http}, {number: 80, name: web}]"), "port 80 is defined already"),
        e("MeshConfig bad root namespace", kind("inmesh.dev/v1alpha1", "MeshConfig", "rootNamespace: Not_Valid"), "\"Not_Valid\" is not a valid namespace"),
        e("MeshConfig on an Istio apiVersion", kind("networking.istio.io/v1", "MeshConfig", "{}"), "apiVersion networking.istio.io/v1 does not serve kind MeshConfig"),
        e("security apiVersion v1alpha1 is not served", kind("security.istio.io/v1alpha1", "PeerAuthentication", "{}"), "does not serve kind PeerAuthentication"),
        w("unknown VS field", vs("- " + route + "\n  timeouts: 5s"), "unknown field \"timeouts\"; ignored (hint: Istio calls this timeout)"),
        w("a request header the JDK client refuses", vs("- headers: {request: {set: {Host: x, x-ok: y}, add: {connection: close}}}\n  " + route), "spec.http[0].headers.request.set.Host: the JDK HttpClient (java.net.http) does not let a request carry a \"Host\" header set this way: calls made with it skip this operation (HttpURLConnection applies it) (hint: to change the authority, use rewrite.authority)"),
        w("a destination's request header the JDK client refuses", vs("- route: [{destination: {host: a}, headers: {request: {add: {Upgrade: h2c}}}}]"), "headers.request.add.Upgrade: the JDK HttpClient (java.net.http) does not let a request carry a \"Upgrade\" header"),
        w("tcpKeepalive not enforced yet", dr("trafficPolicy: {connectionPool: {tcp: {tcpKeepalive: {time: 10s}}}}"), "tcpKeepalive: parsed but not enforced by this inmesh version: the client library's own TCP and HTTP/2 settings apply"),
        w("retries + fault", vs("- retries: {attempts: 3}\n  fault: {abort: {httpStatus: 503, percentage: {value: 5}}}\n  " + route), "with a fault on this rule, Istio turns its retries off"),
        w("lone destination weight", vs("- route: [{destination: {host: a}, weight: 10}]"), "a lone destination gets 100% of its rule whatever its weight (Istio); weight 10 has no effect"),
        w("weights not summing to 100", vs("- route: [{destination: {host: a, subset: x}, weight: 30}, {destination: {host: a, subset: y}, weight: 30}]"), "weights sum to 60, not 100"),
        w("unreachable after catch-all", vs("- " + route + "\n- match: [{uri: {prefix: /x}}]\n  " + route), "spec.http[1]: unreachable: http[0] has no match and catches every request first"),
        w("unreachable after prefix /", vs("- match: [{uri: {prefix: /}}]\n  " + route + "\n- " + route), "unreachable: http[0] matches every request"),
        w("fault percentage missing", vs("- fault: {abort: {httpStatus: 503}}\n  " + route), "no percentage: no request will be aborted (Istio)"),
        w("gateways without mesh", vs("- " + route).replace("hosts: [a]", "hosts: [a]\n  gateways: [my-gateway]"), "none of this VirtualService applies to them"),
        w("tcp routes", vs("- " + route).replace("http:", "tcp: [{route: [{destination: {host: a}}]}]\n  http:"), "spec.tcp: parsed but not enforced by this inmesh version: inmesh routes HTTP only"),
        w("corsPolicy", vs("- " + route + "\n  corsPolicy: {allowOrigins: [{exact: x}]}"), "corsPolicy: parsed but not enforced by this inmesh version: inmesh does not apply CORS"),
        w("DR warmup", dr("trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST, warmupDurationSecs: 30s}}"), "warmupDurationSecs: parsed but not enforced by this inmesh version: inmesh balances over every endpoint"),
        w("AP spec {}", kind("security.istio.io/v1", "AuthorizationPolicy", "{}"), "an ALLOW policy with no rules matches nothing: unless another ALLOW policy allows them, every request to the workloads of namespace foo is denied"),
        w("AP CUSTOM", kind("security.istio.io/v1", "AuthorizationPolicy", "action: CUSTOM\nprovider: {name: ext}\nrules: [{}]"), "inmesh has no external authorization providers: a request a CUSTOM policy matches is denied (403)"),
        w("AP requestPrincipals", kind("security.istio.io/v1", "AuthorizationPolicy", "rules: [{from: [{source: {requestPrincipals: [\"*\"]}}]}]"), "requestPrincipals: parsed but not enforced by this inmesh version: inmesh does not validate JWTs yet"),
        w("AP request.auth condition", kind("security.istio.io/v1", "AuthorizationPolicy", "rules: [{when: [{key: \"request.auth.claims[iss]\", values: [x]}]}]"), "condition on request.auth.claims[iss] parsed but not enforced by this inmesh version: inmesh does not validate JWTs yet"),
        w("RequestAuthentication", kind("security.istio.io/v1", "RequestAuthentication", "jwtRules: []"), "RequestAuthentication is parsed but not enforced by this inmesh version: inmesh does not validate JWTs yet"),
        w("Gateway", kind("networking.istio.io/v1beta1", "Gateway", "servers: []"), "Gateway is parsed but not enforced"),
        w("SE DNS endpoints", kind("networking.istio.io/v1alpha3", "ServiceEntry", "hosts: [db.example.com]\nresolution: DNS\nports: [{number: 80, name: http}]\nendpoints: [{address: db-1.example.com}]"), "endpoints with other host names are not used yet"),
        w("MeshConfig retryBudget", kind("inmesh.dev/v1alpha1", "MeshConfig", "retryBudget: {percent: 10}"), "retryBudget: parsed but not enforced"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("findings")
  void reports(String yaml, String level, String expected) {
    ParseResult r = Policies.parseResult("t.yaml", yaml);
    List<String> all = r.diagnostics().stream().map(Diagnostic::format).toList();
    assertThat(all).as(String.join("\n", all)).anySatisfy(m -> assertThat(m).contains(": " + level + ": ").contains(expected));
    if (level.equals("error")) {
      assertThat(r.resources()).allSatisfy(p -> assertThat(p.ok()).isFalse());
    } else {
      assertThat(r.hasErrors()).as(String.join("\n", all)).isFalse();
    }
  }

  /** Issue 7: what the call lifecycle enforces is no longer reported as "not enforced". */
  @ParameterizedTest(name = "{0}")
  @MethodSource("enforced")
  void theCallLifecycleFieldsAreEnforcedAndNotWarnedAbout(String name, String yaml) {
    ParseResult r = Policies.parseResult("t.yaml", yaml);
    List<String> all = r.diagnostics().stream().map(Diagnostic::format).toList();
    assertThat(all).as(String.join("\n", all)).noneSatisfy(m -> assertThat(m).contains("not enforced"));
  }

  static Stream<Arguments> enforced() {
    String route = "route: [{destination: {host: a}}]";
    return Stream.of(
        Arguments.of("timeout", vs("- timeout: 5s\n  " + route)),
        Arguments.of("retries", vs("- retries: {attempts: 3, perTryTimeout: 1s, retryOn: \"5xx,reset\"}\n  " + route)),
        Arguments.of("fault", vs("- fault: {delay: {fixedDelay: 1s, percentage: {value: 10}}, abort: {httpStatus: 503, percentage: {value: 5}}}\n  " + route)),
        Arguments.of("mirror", vs("- mirror: {host: b}\n  mirrorPercentage: {value: 50}\n  " + route)),
        Arguments.of("rewrite", vs("- rewrite: {uri: /v2}\n  " + route)),
        Arguments.of("redirect", vs("- redirect: {uri: /new}")),
        Arguments.of("directResponse body", vs("- directResponse: {status: 200, body: {string: hi}}")),
        Arguments.of("headers", vs("- headers: {request: {set: {x-a: b}}, response: {remove: [x-c]}}\n  " + route)),
        Arguments.of("least request", dr("trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}")),
        Arguments.of("consistent hash", dr("trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}")),
        Arguments.of("connection pool", dr("trafficPolicy: {connectionPool: {tcp: {maxConnections: 1, connectTimeout: 1s}, http: {http1MaxPendingRequests: 1, http2MaxRequests: 10, maxRetries: 3}}}")),
        Arguments.of(
            "connection lifetimes",
            dr("trafficPolicy: {connectionPool: {tcp: {maxConnectionDuration: 30s, idleTimeout: 10s}, http: {maxRequestsPerConnection: 1, idleTimeout: 5s}}}")),
        Arguments.of("hash cookie with ttl", dr("trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: s, ttl: 60s}}}}")),
        Arguments.of("redirect prefixRewrite", vs("- match: [{uri: {prefix: /old/}}]\n  redirect: {prefixRewrite: /new/}")),
        Arguments.of("outlier detection", dr("trafficPolicy: {outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s}}")),
        Arguments.of("retry budget", dr("trafficPolicy: {retryBudget: {percent: 20, minRetryConcurrency: 3}}")),
        Arguments.of("mesh default retries", kind("inmesh.dev/v1alpha1", "MeshConfig", "defaultRetryPolicy: {attempts: 3}")),
        Arguments.of("tls SIMPLE origination (issue 11)", dr("trafficPolicy: {portLevelSettings: [{port: {number: 80}, tls: {mode: SIMPLE, sni: x.example.com, subjectAltNames: [x.example.com]}}]}")),
        Arguments.of("peer authentication (issue 11)", kind("security.istio.io/v1beta1", "PeerAuthentication", "mtls: {mode: STRICT}\nportLevelMtls: {8080: {mode: PERMISSIVE}}")),
        Arguments.of("tls ISTIO_MUTUAL (issue 11)", dr("trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}")),
        Arguments.of("authorization (issue 12)", kind("security.istio.io/v1", "AuthorizationPolicy", "rules: [{to: [{operation: {methods: [GET], paths: [\"/usuarios/*\"]}}]}]")));
  }

  @Test
  void everyAcceptedApiVersionBindsItsKinds() {
    for (String v : List.of("networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3")) {
      assertThat(Policies.parseResult("t.yaml", vs("- route: [{destination: {host: a}}]").replace("networking.istio.io/v1", v)).hasErrors()).as(v).isFalse();
    }
    for (String v : List.of("security.istio.io/v1", "security.istio.io/v1beta1")) {
      assertThat(Policies.parseResult("t.yaml", kind(v, "PeerAuthentication", "mtls: {mode: STRICT}")).hasErrors()).as(v).isFalse();
      assertThat(Policies.parseResult("t.yaml", kind(v, "AuthorizationPolicy", "rules: [{}]")).hasErrors()).as(v).isFalse();
    }
  }

  @Test
  void theIssueExampleIsReportedVerbatim() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: usuario-service-routing
        spec:
          hosts: [usuario-service]
          http:
          - route:
            - destination: {host: usuario-service, subset: v1}
          - route:
            - destination: {host: usuario-service, subset: v1}
              weight: 50
            - destination: {host: usuario-service, subset: v2}
              weight: "a lot"
        """;
    assertThat(Policies.parseResult("policies/usuario.yaml", yaml).diagnostics().stream().map(Diagnostic::format))
        .contains(
            "policies/usuario.yaml:14: error: VirtualService default/usuario-service-routing: spec.http[1].route[1].weight:"
                + " must be an integer 0..100, got \"a lot\"");
  }
}
