package io.inmesh.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.model.AuthorizationPolicy;
import io.inmesh.policy.model.DestinationRule;
import io.inmesh.policy.model.MeshConfig;
import io.inmesh.policy.model.MtlsMode;
import io.inmesh.policy.model.PeerAuthentication;
import io.inmesh.policy.model.ServiceEntry;
import io.inmesh.policy.model.VirtualService;
import io.inmesh.policy.snapshot.SnapshotCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every resource kind survives the trip the control plane sends it on (YAML → tree → JSON
 * snapshot → agent re-binds → compiles), and its fields bind to the model.
 */
class RoundTripTest {

  static final Workload PRODUCTPAGE = new Workload("productpage", "shop", Map.of("app", "productpage"));

  @Test
  void everyKindBindsAndSurvivesTheSnapshotWireFormat() {
    ParseResult parsed = new PolicyParser().parseYaml("everything.yaml", Policies.resource("/policies/everything.yaml"));
    assertThat(parsed.hasErrors()).as(parsed.diagnostics().stream().map(Diagnostic::format).toList().toString()).isFalse();
    assertThat(parsed.resources()).hasSize(9).allSatisfy(r -> assertThat(r.ok()).isTrue());

    List<Map<String, Object>> trees = new ArrayList<>();
    for (ParsedResource r : parsed.resources()) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put(SnapshotCodec.FILE_KEY, "everything.yaml");
      t.putAll(r.tree());
      trees.add(t);
    }
    ServiceKey reviews = new ServiceKey("reviews", "shop");
    Map<ServiceKey, List<Endpoint>> services =
        Map.of(
            reviews,
            List.of(
                new Endpoint("10.1.0.1", List.of(9080), Map.of("version", "v1"), "a"),
                new Endpoint("10.1.0.2", List.of(9080), Map.of("version", "v2"), "b")));
    byte[] json = SnapshotCodec.encode("v1", 3, trees, services);
    SnapshotCodec.Decoded decoded = SnapshotCodec.decode(json);
    assertThat(decoded.ok()).as(decoded.errorSummary()).isTrue();
    assertThat(decoded.snapshot().resources()).hasSize(9);

    VirtualService vs = (VirtualService) decoded.snapshot().resources().get(0);
    assertThat(vs.http()).hasSize(6);
    assertThat(vs.http().get(0).retries().attempts()).isEqualTo(3);
    assertThat(vs.http().get(0).mirrors().get(0).percentage()).isEqualTo(12.5);
    assertThat(vs.http().get(0).match().get(0).queryParams()).containsKey("id");
    assertThat(vs.http().get(3).rewrite().rewriteWithRegex("/regex/a/b")).isEqualTo("/r/a/b");
    DestinationRule dr = (DestinationRule) decoded.snapshot().resources().get(1);
    assertThat(dr.trafficPolicy().portLevelSettings()).hasSize(1);
    assertThat(dr.subset("v2").trafficPolicy().connectionPool().tcp().maxConnections()).isEqualTo(10);
    assertThat(((ServiceEntry) decoded.snapshot().resources().get(2)).resolution()).isEqualTo(ServiceEntry.Resolution.DNS);
    assertThat(((PeerAuthentication) decoded.snapshot().resources().get(5)).portLevelMtls()).containsEntry(8080, MtlsMode.PERMISSIVE);
    assertThat(((AuthorizationPolicy) decoded.snapshot().resources().get(6)).rules()).hasSize(1);
    MeshConfig mesh = (MeshConfig) decoded.snapshot().resources().get(8);
    assertThat(mesh.startupWait()).isEqualTo(Duration.ofSeconds(3));

    RouteTable t = RouteTable.compile(decoded.snapshot(), PRODUCTPAGE);
    assertThat(t.meshConfig().defaultRetryPolicy().attempts()).isEqualTo(1);
    RouteDecision.Routed canary =
        (RouteDecision.Routed)
            t.decide(Req.get("reviews", "/api/x?id=7").port(9080).header("x-canary", "true").header("x-debug", "1").header("host", "reviews:9080"));
    assertThat(canary.policy().name()).isEqualTo("canary");
    assertThat(canary.policy().retries().attempts()).isEqualTo(3);
    assertThat(canary.policy().timeout()).isEqualTo(Duration.ofSeconds(3));
    // weighted: either destination; the picked one's own headers come along
    if (canary.destination() == 0) {
      assertThat(canary.destinationHeaders().request().set()).containsEntry("x-route", "canary");
      // subset v2 on port 9080: the top level's port-level settings replace all four groups (so no
      // outlier detection), then the subset's groups override them
      assertThat(canary.trafficPolicy().loadBalancer().simple().name()).isEqualTo("RANDOM");
      assertThat(canary.trafficPolicy().connectionPool().tcp().maxConnections()).isEqualTo(10);
      assertThat(canary.trafficPolicy().outlierDetection()).isNull();
    }
    RouteDecision.Routed plain = (RouteDecision.Routed) t.decide(Req.get("reviews", "/"));
    assertThat(plain.policy().retries().attempts()).isEqualTo(1); // the MeshConfig default
    assertThat(plain.policy().corsPolicy()).isNotNull();
    assertThat(((RouteDecision.Local) t.decide(Req.get("reviews", "/old"))).answer().status()).isEqualTo(302);
    assertThat(((RouteDecision.Local) t.decide(Req.get("reviews", "/health"))).policy().directResponse().body()).isEqualTo("ok");
    assertThat(t.describe().toString()).contains("reviews.shop.svc.cluster.local").contains("api.example.com");
  }
}
