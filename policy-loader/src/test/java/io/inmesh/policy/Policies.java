package io.inmesh.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.MeshSnapshot;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.model.PolicyResource;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test helpers: YAML in, bound resources, compiled tables and decisions out. */
public final class Policies {
  private Policies() {}

  public static final Workload CLIENT = new Workload("client", "default", Map.of("app", "client", "version", "v1"));

  /** Parses and asserts there is no error. */
  public static List<PolicyResource> parse(String yaml) {
    ParseResult r = new PolicyParser().parseYaml("t.yaml", yaml);
    assertThat(r.hasErrors()).as(r.diagnostics().toString()).isFalse();
    List<PolicyResource> out = new ArrayList<>();
    r.resources().forEach(p -> out.add(p.resource()));
    return out;
  }

  /** A test resource file as text, e.g. {@code /seed/canary.yaml}. */
  public static String resource(String path) {
    try (java.io.InputStream in = Policies.class.getResourceAsStream(path)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static ParseResult parseResult(String file, String yaml) {
    return new PolicyParser().parseYaml(file, yaml);
  }

  public static List<String> messages(String yaml) {
    return parseResult("t.yaml", yaml).diagnostics().stream().map(Diagnostic::format).toList();
  }

  /** Endpoints: "name.ns" → addresses with labels, e.g. endpoint("10.0.0.1", 8080, "version", "v1"). */
  public static Endpoint endpoint(String address, int port, String... labels) {
    Map<String, String> l = new LinkedHashMap<>();
    for (int i = 0; i + 1 < labels.length; i += 2) {
      l.put(labels[i], labels[i + 1]);
    }
    return new Endpoint(address, List.of(port), Map.copyOf(l), "agent-" + address);
  }

  public static RouteTable table(String yaml, Map<ServiceKey, List<Endpoint>> services) {
    return table(yaml, services, CLIENT);
  }

  public static RouteTable table(String yaml, Map<ServiceKey, List<Endpoint>> services, Workload w) {
    return RouteTable.compile(new MeshSnapshot("v", 1, parse(yaml), services), w);
  }

  private static final Map<io.inmesh.policy.compile.Cluster, java.util.concurrent.atomic.AtomicInteger> POSITIONS =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /**
   * An endpoint of a routed decision, round robin per compiled cluster (null for a pass-through
   * destination): where these tests look at routing, not balancing, which is the agent's
   * ({@code io.inmesh.agent.upstream.ClusterState}, tested in the agent's BalancerTest).
   */
  public static InetSocketAddress pick(RouteDecision.Routed r) {
    if (r.cluster().passthrough()) {
      return null;
    }
    InetSocketAddress[] a = r.addresses();
    int i = POSITIONS.computeIfAbsent(r.cluster(), c -> new java.util.concurrent.atomic.AtomicInteger()).getAndIncrement();
    return a[Math.floorMod(i, a.length)];
  }

  /** "10.0.0.1:8080", "passthrough" (no mesh host), "dns passthrough", or "404 NR" style local answers. */
  public static String routedTo(RouteTable t, Req req) {
    RouteDecision d = t.decide(req);
    if (d == null) {
      return "passthrough";
    }
    if (d instanceof RouteDecision.Routed r) {
      InetSocketAddress a = pick(r);
      return a == null ? "dns passthrough" : a.getAddress().getHostAddress() + ":" + a.getPort();
    }
    RouteDecision.Local l = (RouteDecision.Local) d;
    return l.answer().status() + " " + l.answer().reason();
  }
}
