package io.inmesh.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.agent.engine.ActiveSnapshot;
import io.inmesh.agent.engine.MeshEngine;
import io.inmesh.policy.control.SnapshotTarget;
import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.OutboundRequest;
import io.inmesh.launcher.Settings;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class MeshEngineTest {

  static final String GOOD =
      """
      {"version":"good","generation":1,"resources":[
       {"file":"r.yaml","apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"r"},
        "spec":{"hosts":["usuario-service"],"http":[{"match":[{"headers":{"x-canary":{"exact":"true"}}}],
          "route":[{"destination":{"host":"usuario-service","subset":"v2"}}]},
          {"route":[{"destination":{"host":"usuario-service","subset":"v1"}}]}]}},
       {"file":"r.yaml","apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"d"},
        "spec":{"host":"usuario-service","subsets":[{"name":"v1","labels":{"version":"v1"}},{"name":"v2","labels":{"version":"v2"}}]}}],
       "services":[{"name":"usuario-service","namespace":"default","endpoints":[
         {"address":"127.0.0.21","ports":[8080],"labels":{"version":"v1"},"agent":"a"},
         {"address":"127.0.0.22","ports":[8080],"labels":{"version":"v2"},"agent":"b"}]}]}
      """;

  static MeshEngine engine() {
    return new MeshEngine(Settings.resolve(Map.of("INMESH_SERVICE", "pedido-service", "INMESH_CONTROL_URL", "http://127.0.0.1:1", "INMESH_STARTUP_WAIT", "100ms"), new Properties()));
  }

  record Req(String host, String canary) implements OutboundRequest {
    public String method() { return "GET"; }
    public String scheme() { return "http"; }
    public int port() { return -1; }
    public String path() { return "/usuarios/1"; }
    public String header(String name) { return name.equals("x-canary") ? canary : null; }
  }

  @Test
  void aSnapshotWithOneBadResourceIsRefusedWholeAndTheCurrentOneKeepsServing() {
    MeshEngine e = engine();
    assertThat(e.apply(GOOD.getBytes(StandardCharsets.UTF_8), ActiveSnapshot.Source.CONTROL_PLANE).accepted()).isTrue();
    String bad = GOOD.replace("\"version\":\"good\"", "\"version\":\"bad\"").replace("\"subset\":\"v1\"}}]}", "\"subset\":\"v1\"},\"weight\":\"lots\"}]}");
    SnapshotTarget.Applied r = e.apply(bad.getBytes(StandardCharsets.UTF_8), ActiveSnapshot.Source.CONTROL_PLANE);
    assertThat(r.accepted()).isFalse();
    assertThat(r.version()).isEqualTo("bad");
    assertThat(r.error()).contains("VirtualService default/r").contains("spec.http[1].route[0].weight");
    assertThat(e.active().table().version()).isEqualTo("good");
    OutboundCall call = e.outbound(new Req("usuario-service", "true"));
    assertThat(call.startAttempt().address().toString()).isEqualTo("/127.0.0.22:8080");
    assertThat(e.apply("not json".getBytes(StandardCharsets.UTF_8), ActiveSnapshot.Source.CONTROL_PLANE).accepted()).isFalse();
    assertThat(e.active().table().version()).isEqualTo("good");
  }

  @Test
  void nonMeshHostsPassThroughAndLocalAnswersGoToTheResponder() {
    MeshEngine e = engine();
    e.apply(GOOD.getBytes(StandardCharsets.UTF_8), ActiveSnapshot.Source.CONTROL_PLANE);
    assertThat(e.outbound(new Req("example.com", null))).isNull();
    assertThat(e.outbound(new Req("usuario-service", null)).startAttempt().address().getPort()).isEqualTo(8080);
    String noV2 = GOOD.replace("{\"address\":\"127.0.0.22\",\"ports\":[8080],\"labels\":{\"version\":\"v2\"},\"agent\":\"b\"}", "").replace("\"agent\":\"a\"},", "\"agent\":\"a\"}");
    assertThat(e.apply(noV2.getBytes(StandardCharsets.UTF_8), ActiveSnapshot.Source.CONTROL_PLANE).accepted()).isTrue();
    Attempt local = e.outbound(new Req("usuario-service", "true")).startAttempt();
    assertThat(local.isLocalReply()).isTrue();
    assertThat(local.localReplyToken()).isEqualTo("503-UH");
    assertThat(local.address().getAddress().isLoopbackAddress()).isTrue();
    e.responder().close();
  }

  @Test
  void beforeAnySnapshotOnlyPossibleMeshHostsWaitTogetherForOneBoundedWaitFromTheStart() throws Exception {
    // 3 s, not less: on a loaded machine the lines below may run a good while after the engine starts
    MeshEngine e = new MeshEngine(Settings.resolve(Map.of("INMESH_SERVICE", "pedido-service", "INMESH_CONTROL_URL", "http://127.0.0.1:1", "INMESH_STARTUP_WAIT", "3s"), new Properties()));
    assertThat(e.startupWaitNanos("127.0.0.1")).isZero();
    assertThat(e.startupWaitNanos("api.example.com")).isZero();
    long wait = e.startupWaitNanos("usuario-service");
    assertThat(wait).as("what is left of the one wait counted from the start").isPositive().isLessThanOrEqualTo(3_000_000_000L);
    // every caller shares one deadline counted from the agent's start: once it is over, nobody waits
    e.firstSnapshot().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(e.startupWaitNanos("usuario-service")).isZero();
    assertThat(e.startupWaitNanos("pedido-service")).isZero();
    assertThat(e.outbound(new Req("usuario-service", null))).isNull();
  }

  @Test
  void theFirstSnapshotEndsTheWaitForEveryone() throws Exception {
    MeshEngine e = new MeshEngine(Settings.resolve(Map.of("INMESH_SERVICE", "pedido-service", "INMESH_CONTROL_URL", "http://127.0.0.1:1", "INMESH_STARTUP_WAIT", "1h"), new Properties()));
    var waiting = e.firstSnapshot().toCompletableFuture();
    assertThat(waiting).isNotDone();
    assertThat(e.startupWaitNanos("usuario-service")).isPositive();
    e.apply(GOOD.getBytes(StandardCharsets.UTF_8), ActiveSnapshot.Source.CONTROL_PLANE);
    waiting.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(e.startupWaitNanos("usuario-service")).isZero();
  }
}
