package io.inmesh.control;

import static io.inmesh.control.RunningControlPlane.eventually;
import static io.inmesh.control.RunningControlPlane.json;
import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.api.InstanceOfAssertFactories;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryApiTest {

  @TempDir Path tmp;
  RunningControlPlane cp;

  @AfterEach
  void stop() {
    if (cp != null) {
      cp.close();
    }
  }

  @Test
  void registeredAgentAppearsAsEndpointInTheSnapshot() throws IOException {
    Files.writeString(Files.createDirectories(tmp.resolve("policies")).resolve("canary.yaml"), SamplePolicies.CANARY);
    cp = RunningControlPlane.start(tmp.resolve("policies"), tmp.resolve("data"));
    String before = cp.version();

    HttpResponse<String> r =
        cp.post(
            "/v1/register",
            """
            {"agent":"usuario-1","service":"usuario-service","namespace":"default",
             "labels":{"app":"usuario-service","version":"v1"},"address":"127.0.0.21","ports":[8080],
             "serviceAccount":"usuario-service","pid":1234,"host":"h","version":"0.1.0"}""");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r)).containsEntry("heartbeatSeconds", 5).containsEntry("ttlSeconds", 15);

    Map<String, Object> snap = cp.snapshot();
    assertThat(snap.get("version")).isNotEqualTo(before);
    assertThat(snap.get("resources")).asInstanceOf(InstanceOfAssertFactories.LIST).hasSize(2);
    assertThat(snap.get("services"))
        .isEqualTo(
            List.of(
                Map.of(
                    "name", "usuario-service",
                    "namespace", "default",
                    "endpoints",
                        List.of(
                            Map.of(
                                "address", "127.0.0.21",
                                "ports", List.of(8080),
                                "labels", Map.of("app", "usuario-service", "version", "v1"),
                                "agent", "usuario-1")))));
    assertThat(cp.log).anyMatch(l -> l.contains("+ usuario-service.default 127.0.0.21:[8080] {app=usuario-service,version=v1} agent=usuario-1"));

    // re-registering the same thing changes nothing
    cp.register("usuario-1", "usuario-service", "127.0.0.21", 8080, "v1");
    assertThat(cp.version()).isEqualTo(snap.get("version"));
  }

  @Test
  void endpointsAreSortedByServiceThenAgentAndClientOnlyAgentsAreNotEndpoints() throws IOException {
    cp = RunningControlPlane.start(tmp.resolve("policies"), tmp.resolve("data"));
    cp.register("u-2", "usuario-service", "127.0.0.22", 8080, "v2");
    cp.register("u-1", "usuario-service", "127.0.0.21", 8080, "v1");
    cp.register("p-1", "pedido-service", "127.0.0.31", 8081, "v1");
    HttpResponse<String> r =
        cp.post("/v1/register", "{\"agent\":\"cli\",\"service\":\"batch-job\",\"address\":null,\"ports\":[]}");
    assertThat(r.statusCode()).isEqualTo(200);

    List<Map<String, Object>> services = services(cp.snapshot());
    assertThat(services).extracting(s -> s.get("name")).containsExactly("pedido-service", "usuario-service");
    assertThat(endpointsOf(services.get(1))).extracting(e -> e.get("agent")).containsExactly("u-1", "u-2");

    Map<String, Object> endpoints = cp.getJson("/v1/endpoints");
    assertThat(services(endpoints)).extracting(s -> s.get("name")).containsExactly("pedido-service", "usuario-service");

    List<Map<String, Object>> agents = agents(cp.getJson("/v1/agents"));
    assertThat(agents).extracting(a -> a.get("agent")).containsExactly("cli", "p-1", "u-1", "u-2");
    assertThat(agents.get(0)).containsEntry("address", null).containsEntry("namespace", "default");
  }

  @Test
  void badRegistrationsAre400WithAHint() throws IOException {
    cp = RunningControlPlane.start(tmp.resolve("policies"), tmp.resolve("data"));
    for (String body :
        List.of(
            "{\"service\":\"usuario-service\"}",
            "{\"agent\":\"a\"}",
            "{\"agent\":\"a\",\"service\":\"s\",\"ports\":[\"80\"]}",
            "{\"agent\":\"a\",\"service\":\"s\",\"ports\":[70000]}",
            "{\"agent\":\"a\",\"service\":\"s\",\"namespace\":\"Bad_NS\"}",
            "{\"agent\":\"a\",\"service\":\"s\",\"labels\":{\"version\":1}}",
            "not json",
            "")) {
      HttpResponse<String> r = cp.post("/v1/register", body);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(json(r)).as(body).containsKeys("error", "hint");
    }
    assertThat(agents(cp.getJson("/v1/agents"))).isEmpty();
  }

  @Test
  void heartbeatOfAnUnknownAgentIs404SoItRegistersAgain() throws IOException {
    cp = RunningControlPlane.start(tmp.resolve("policies"), tmp.resolve("data"));
    HttpResponse<String> r = cp.post("/v1/heartbeat", "{\"agent\":\"nobody\"}");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(json(r)).containsEntry("error", "unknown agent").containsEntry("hint", "register again");

    cp.register("u-1", "usuario-service", "127.0.0.21", 8080, "v1");
    r = cp.post("/v1/heartbeat", "{\"agent\":\"u-1\"}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body().trim()).isEqualTo("{ }");
  }

  @Test
  void deregisterRemovesTheEndpointAtOnce() throws IOException {
    cp = RunningControlPlane.start(tmp.resolve("policies"), tmp.resolve("data"));
    cp.register("u-1", "usuario-service", "127.0.0.21", 8080, "v1");
    assertThat(services(cp.snapshot())).hasSize(1);

    assertThat(cp.post("/v1/deregister", "{\"agent\":\"u-1\"}").statusCode()).isEqualTo(200);
    assertThat(services(cp.snapshot())).isEmpty();
    assertThat(cp.log).anyMatch(l -> l.contains("- usuario-service.default 127.0.0.21:[8080]") && l.endsWith("(deregistered)"));
    assertThat(cp.post("/v1/deregister", "{\"agent\":\"u-1\"}").statusCode()).isEqualTo(200);
  }

  @Test
  void anAgentThatStopsHeartbeatingExpiresAfterTheTtl() throws IOException {
    cp =
        RunningControlPlane.start(
            new ControlPlaneConfig(
                RunningControlPlane.HOST, 0, tmp.resolve("policies"), tmp.resolve("data"), "default",
                Duration.ofMillis(300), Duration.ofSeconds(1), Duration.ZERO));
    cp.register("dead", "usuario-service", "127.0.0.21", 8080, "v1");
    cp.register("alive", "usuario-service", "127.0.0.22", 8080, "v1");
    long start = System.nanoTime();
    // "alive" keeps heart-beating (as agents do, every heartbeat); "dead" never does
    eventually(
        Duration.ofSeconds(5),
        "the agent that stopped heart-beating to expire",
        () -> {
          assertThat(cp.post("/v1/heartbeat", "{\"agent\":\"alive\"}").statusCode()).isEqualTo(200);
          return endpointsOf(services(cp.snapshot()).get(0)).size() == 1;
        });
    System.out.printf("ttl 1s: expired after %d ms%n", (System.nanoTime() - start) / 1_000_000);
    List<Map<String, Object>> eps = endpointsOf(services(cp.snapshot()).get(0));
    assertThat(eps).extracting(e -> e.get("agent")).containsExactly("alive");
    assertThat(cp.log)
        .anyMatch(l -> l.contains("- usuario-service.default 127.0.0.21:[8080]") && l.contains("agent=dead (expired"));
    assertThat(cp.post("/v1/heartbeat", "{\"agent\":\"dead\"}").statusCode()).isEqualTo(404);
    // the live one survived several ttl sweeps
    assertThat(cp.post("/v1/heartbeat", "{\"agent\":\"alive\"}").statusCode()).isEqualTo(200);
  }

  @Test
  void agentsShowWhichVersionEachRunsAndWhatItRejected() throws IOException {
    Files.writeString(Files.createDirectories(tmp.resolve("policies")).resolve("canary.yaml"), SamplePolicies.CANARY);
    cp = RunningControlPlane.start(tmp.resolve("policies"), tmp.resolve("data"));
    cp.register("u-1", "usuario-service", "127.0.0.21", 8080, "v1");
    cp.register("p-1", "pedido-service", "127.0.0.31", 8081, "v1");
    assertThat(agent("u-1")).containsEntry("state", "pending").containsEntry("appliedVersion", null);

    String v = cp.version();
    assertThat(cp.post("/v1/ack", "{\"agent\":\"u-1\",\"version\":\"" + v + "\",\"accepted\":true}").statusCode())
        .isEqualTo(200);
    assertThat(
            cp.post(
                    "/v1/ack",
                    "{\"agent\":\"p-1\",\"version\":\"" + v + "\",\"accepted\":false,\"error\":\"canary.yaml:17: error: bad\"}")
                .statusCode())
        .isEqualTo(200);

    Map<String, Object> list = cp.getJson("/v1/agents");
    assertThat(list).containsEntry("version", v);
    assertThat(agent("u-1")).containsEntry("appliedVersion", v).containsEntry("state", "current");
    assertThat((String) agent("u-1").get("appliedAt")).isNotBlank();
    assertThat(agent("p-1"))
        .containsEntry("state", "rejected")
        .containsEntry("rejectedVersion", v)
        .containsEntry("rejectError", "canary.yaml:17: error: bad");
    assertThat(cp.log).anyMatch(l -> l.contains("NACK from agent=p-1") && l.contains(v) && l.contains("canary.yaml:17: error: bad"));

    // a new version makes the agent that applied the old one stale
    cp.register("u-2", "usuario-service", "127.0.0.22", 8080, "v2");
    assertThat(agent("u-1")).containsEntry("state", "stale");

    assertThat(cp.post("/v1/ack", "{\"agent\":\"ghost\",\"version\":\"x\",\"accepted\":true}").statusCode()).isEqualTo(404);
    assertThat(cp.post("/v1/ack", "{\"agent\":\"u-1\",\"version\":\"x\"}").statusCode()).isEqualTo(400);
  }

  private Map<String, Object> agent(String id) {
    return agents(cp.getJson("/v1/agents")).stream()
        .filter(a -> id.equals(a.get("agent")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no agent " + id));
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> services(Map<String, Object> snapshot) {
    return (List<Map<String, Object>>) snapshot.get("services");
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> endpointsOf(Map<String, Object> service) {
    return (List<Map<String, Object>>) service.get("endpoints");
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> agents(Map<String, Object> list) {
    return (List<Map<String, Object>>) list.get("agents");
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
