package io.inmesh.bench.jmh;

import io.inmesh.bootstrap.OutboundRequest;
import io.inmesh.policy.ParseResult;
import io.inmesh.policy.ParsedResource;
import io.inmesh.policy.PolicyParser;
import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.MeshSnapshot;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.model.PolicyResource;
import io.inmesh.policy.snapshot.SnapshotCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A mesh of {@code n} services, each with a VirtualService (canary header rule, then a 90/10
 * split) and a DestinationRule (two subsets, a traffic policy with a port-level override), and
 * two endpoints per service: the policy shape the benchmarks compile and route with.
 */
final class Fixtures {
  private Fixtures() {}

  static final Workload CLIENT = new Workload("client", "default", Map.of("app", "client"));

  static String service(int i) {
    return "svc-" + i;
  }

  static String yaml(int n) {
    StringBuilder sb = new StringBuilder(n * 900);
    for (int i = 0; i < n; i++) {
      String s = service(i);
      sb.append(
          """
          apiVersion: networking.istio.io/v1
          kind: VirtualService
          metadata: {name: %1$s}
          spec:
            hosts: [%1$s]
            http:
            - match:
              - headers: {x-canary: {exact: "true"}}
                uri: {prefix: /api}
              route:
              - destination: {host: %1$s, subset: v2}
            - route:
              - destination: {host: %1$s, subset: v1}
                weight: 90
              - destination: {host: %1$s, subset: v2}
                weight: 10
              timeout: 2s
              retries: {attempts: 3, perTryTimeout: 500ms}
          ---
          apiVersion: networking.istio.io/v1
          kind: DestinationRule
          metadata: {name: %1$s}
          spec:
            host: %1$s
            trafficPolicy:
              connectionPool: {tcp: {maxConnections: 100}}
              outlierDetection: {consecutive5xxErrors: 5}
              portLevelSettings:
              - port: {number: 8080}
                loadBalancer: {simple: ROUND_ROBIN}
            subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          ---
          """
              .formatted(s));
    }
    return sb.toString();
  }

  static ParseResult parse(int n) {
    ParseResult r = new PolicyParser().parseYaml("bench.yaml", yaml(n));
    if (r.hasErrors()) {
      throw new IllegalStateException("fixture does not validate: " + r.diagnostics().get(0));
    }
    return r;
  }

  static Map<ServiceKey, List<Endpoint>> services(int n) {
    Map<ServiceKey, List<Endpoint>> m = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String a = "10." + ((i >> 8) & 0xff) + "." + (i & 0xff) + ".";
      m.put(
          new ServiceKey(service(i), "default"),
          List.of(
              new Endpoint(a + "1", List.of(8080), Map.of("version", "v1"), "a" + i),
              new Endpoint(a + "2", List.of(8080), Map.of("version", "v2"), "b" + i)));
    }
    return m;
  }

  static MeshSnapshot snapshot(int n) {
    List<PolicyResource> resources = new ArrayList<>();
    for (ParsedResource r : parse(n).resources()) {
      resources.add(r.resource());
    }
    return new MeshSnapshot("bench", 1, List.copyOf(resources), services(n));
  }

  /** The snapshot as the control plane sends it (what an agent decodes, re-validates and compiles). */
  static byte[] snapshotJson(int n) {
    List<Map<String, Object>> trees = new ArrayList<>();
    for (ParsedResource r : parse(n).resources()) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put(SnapshotCodec.FILE_KEY, "bench.yaml");
      t.putAll(r.tree());
      trees.add(t);
    }
    return SnapshotCodec.encode("bench", 1, trees, services(n));
  }

  /** A request as an adapter presents it: a thin view, nothing copied. */
  record Request(String method, String host, int port, String path, String canary) implements OutboundRequest {
    @Override
    public String scheme() {
      return "http";
    }

    @Override
    public String header(String name) {
      return "x-canary".equals(name.toLowerCase(Locale.ROOT)) ? canary : null;
    }
  }
}
