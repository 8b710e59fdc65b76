package io.inmesh.bench.jmh;

import io.inmesh.agent.authz.AuditTrail;
import io.inmesh.agent.authz.InboundAuthorization;
import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.policy.PolicyParser;
import io.inmesh.policy.authz.AuthorizationEvaluator;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.model.PolicyResource;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What authorization adds per inbound request (issue 12): 10 ALLOW policies of 10 rules each in
 * force for the workload (principals, methods, path templates and prefixes, a header condition),
 * plus one DENY policy. {@code allowedByTheLastRule}: the request matches only the last rule of the
 * last policy, so every rule is tried (the worst allowed case); {@code deniedNothingMatches}: no
 * rule matches (every rule tried, then the implicit deny, audit line off). Both go through the
 * agent's inbound check ({@link InboundAuthorization#check}), path normalisation included.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms512m", "-Xmx512m"})
public class AuthorizationBenchmark {
  AuthorizationEvaluator evaluator;
  InboundAuthorization authorization;
  Req allowed;
  Req denied;

  record Req(String method, String path, Map<String, String> headers) implements InboundRequest {
    static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.21", 8080);
    static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.33", 51234);

    @Override
    public String header(String name) {
      return headers.get(name);
    }

    @Override
    public InetSocketAddress localAddress() {
      return LOCAL;
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return REMOTE;
    }

    @Override
    public Certificate[] peerCertificates() {
      return null;
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    StringBuilder yaml = new StringBuilder();
    for (int p = 0; p < 10; p++) {
      yaml.append("""
          ---
          apiVersion: security.istio.io/v1
          kind: AuthorizationPolicy
          metadata: {name: allow-%d, namespace: default}
          spec:
            selector: {matchLabels: {app: usuario-service}}
            rules:
          """.formatted(p));
      for (int r = 0; r < 10; r++) {
        boolean last = p == 9 && r == 9;
        yaml.append("""
              - from: [{source: {ipBlocks: ["%s"]}}]
                to: [{operation: {methods: ["GET", "POST"], paths: ["/api/v%d/{*}/items", "/usuarios/%d*"]}}]
                when: [{key: "request.headers[x-tenant]", values: ["tenant-%d"]}]
            """.formatted(last ? "127.0.0.0/24" : "10.%d.%d.0/24".formatted(p, r), r, p * 10 + r, last ? 7 : r));
      }
    }
    yaml.append("""
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: no-admin, namespace: default}
        spec:
          action: DENY
          rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
        """);
    List<PolicyResource> resources = new ArrayList<>();
    var parsed = new PolicyParser("default").parseYaml("authz.yaml", yaml.toString());
    if (parsed.hasErrors() || parsed.resources().size() != 11) {
      throw new IllegalStateException("fixture policies: " + parsed.fileDiagnostics());
    }
    parsed.resources().forEach(r -> {
      if (!r.ok()) {
        throw new IllegalStateException(r.diagnostics().toString());
      }
      resources.add(r.resource());
    });
    evaluator = AuthorizationEvaluator.forWorkload(resources, new Workload("usuario-service", "default", Map.of("app", "usuario-service")), "istio-system");
    authorization = new InboundAuthorization("default/usuario-service", new AuditTrail("off"));
    allowed = new Req("GET", "/usuarios/99/profile?x=1", Map.of("host", "usuario-service", "x-tenant", "tenant-7"));
    denied = new Req("GET", "/usuarios/99/profile?x=1", Map.of("host", "usuario-service", "x-tenant", "tenant-8"));
    if (authorization.check(evaluator, allowed, null) != null || authorization.check(evaluator, denied, null) == null) {
      throw new IllegalStateException("the fixture does not allow the first request and deny the second");
    }
  }

  @Benchmark
  public LocalAnswer allowedByTheLastRule() {
    return authorization.check(evaluator, allowed, null);
  }

  @Benchmark
  public LocalAnswer deniedNothingMatches() {
    return authorization.check(evaluator, denied, null);
  }
}
