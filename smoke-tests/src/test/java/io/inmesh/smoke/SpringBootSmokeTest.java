package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The seed's Spring Boot services, unmodified, as Boot fat jars: usuario-service v1 and v2 on
 * embedded Tomcat (registered by the Tomcat adapter) and pedido-service calling them by name
 * through {@code new RestTemplate()} (HttpURLConnection) and the JDK HttpClient.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SpringBootSmokeTest {
  static final String CP = "127.0.0.11:15010";
  static final String CONTROL_URL = "http://" + CP;

  final Path tmp = Smoke.workDir("SpringBootSmokeTest");
  Proc controlPlane;
  final List<Proc> apps = new ArrayList<>();

  @BeforeAll
  void startMesh() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("spring-boot");
    Smoke.write(policies.resolve("canary.yaml"), Policies.SEED_CANARY);
    Smoke.write(policies.resolve("subsets.yaml"), Policies.SUBSETS);
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("data"), logs);
    String usuarioJar = Smoke.ROOT.resolve("examples/usuario-service/target/usuario-service.jar").toString();
    String pedidoJar = Smoke.ROOT.resolve("examples/pedido-service/target/pedido-service.jar").toString();
    for (String v : List.of("v1", "v2")) {
      String address = v.equals("v1") ? "127.0.0.31" : "127.0.0.32";
      Map<String, String> env = inmeshEnv("usuario-service", "app=usuario-service,version=" + v, address, CONTROL_URL, tmp.resolve("cache-usuario"));
      env.put("USUARIO_VERSION", v);
      apps.add(meshed("usuario-" + v, env, logs, List.of("-jar", usuarioJar, "--server.address=" + address, "--server.port=8080")));
    }
    apps.add(
        meshed(
            "pedido",
            inmeshEnv("pedido-service", "app=pedido-service", "127.0.0.33", CONTROL_URL, tmp.resolve("cache-pedido")),
            logs,
            List.of("-jar", pedidoJar, "--server.address=127.0.0.33", "--server.port=8080")));
    awaitReady(apps.get(0), "127.0.0.31");
    awaitReady(apps.get(1), "127.0.0.32");
    awaitReady(apps.get(2), "127.0.0.33");
    awaitTrue(
        "Tomcat connectors registered",
        Duration.ofSeconds(90),
        () -> {
          String eps = Smoke.get("http://" + CP + "/v1/endpoints");
          return eps.contains("127.0.0.31") && eps.contains("127.0.0.32") && eps.contains("127.0.0.33");
        },
        apps.toArray(new Proc[0]));
    awaitTrue(
        "pedido's snapshot to hold both usuario endpoints",
        Duration.ofSeconds(30),
        () -> Smoke.get("http://127.0.0.33:15000/config_dump").contains("127.0.0.32"),
        apps.get(2));
  }

  @AfterAll
  void stopMesh() {
    apps.forEach(Proc::stop);
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  static JsonNode pedido(String client, boolean canary) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.33:8080/pedidos/7?client=" + client)).timeout(Duration.ofSeconds(30));
    if (canary) {
      b.header("x-canary", "true");
    }
    HttpResponse<String> r = Smoke.send(b.build());
    try {
      JsonNode n = Smoke.JSON.readTree(r.body());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      return n;
    } catch (java.io.IOException e) {
      throw new AssertionError(r.body(), e);
    }
  }

  @Test
  void tomcatRegistersTheConnectorAndEverySpringClientFollowsTheCanaryRule() {
    String endpoints = Smoke.get("http://" + CP + "/v1/endpoints");
    assertThat(endpoints).contains("127.0.0.31").contains("127.0.0.32").doesNotContain("15000").doesNotContain("15020");
    // web-client: Spring's WebClient on Reactor Netty inside the same Boot app (issue 14: the seed's client)
    for (String client : List.of("rest-template", "http-client", "http-client-async", "web-client")) {
      for (int i = 0; i < 10; i++) {
        JsonNode canary = pedido(client, true);
        assertThat(canary.path("usuario").path("version").asText()).as(client + " canary").isEqualTo("v2");
        assertThat(canary.path("usuario").path("instance").asText()).isEqualTo("127.0.0.32:8080");
        JsonNode plain = pedido(client, false);
        assertThat(plain.path("usuario").path("version").asText()).as(client + " plain").isEqualTo("v1");
        assertThat(plain.path("usuario").path("instance").asText()).isEqualTo("127.0.0.31:8080");
      }
    }
  }
}
