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
 * through {@code new RestTemplate()} (HttpURLConnection) and the JDK HttpClient, and through Spring
 * Cloud LoadBalancer's {@code @LoadBalanced RestTemplate} (the seed's bean) and {@code @LoadBalanced
 * WebClient.Builder}, which step aside on a mesh name (instrumentations/spring-cloud-loadbalancer).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 420, unit = TimeUnit.SECONDS) // bounds for a loaded 2-core machine (Boot start-ups of 3 minutes seen)
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
            List.of(
                "-jar",
                pedidoJar,
                "--server.address=127.0.0.33",
                "--server.port=8080",
                // a name only Spring Cloud's simple discovery knows (not a mesh host): Spring Cloud
                // LoadBalancer keeps resolving it itself
                "--spring.cloud.discovery.client.simple.instances.legacy-usuario[0].uri=http://127.0.0.31:8080")));
    awaitReady(apps.get(0), "127.0.0.31");
    awaitReady(apps.get(1), "127.0.0.32");
    awaitReady(apps.get(2), "127.0.0.33");
    awaitTrue(
        "Tomcat connectors registered",
        Duration.ofSeconds(180),
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
    Proc.stopAll(apps);
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  static JsonNode pedido(String client, boolean canary) {
    return pedido(client, canary, "", 200);
  }

  static JsonNode pedido(String client, boolean canary, String moreQuery, int status) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.33:8080/pedidos/7?client=" + client + moreQuery)).timeout(Duration.ofSeconds(30));
    if (canary) {
      b.header("x-canary", "true");
    }
    HttpResponse<String> r = Smoke.send(b.build());
    try {
      JsonNode n = Smoke.JSON.readTree(r.body());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
      return n;
    } catch (java.io.IOException e) {
      throw new AssertionError(r.body(), e);
    }
  }

  /** The mesh decisions pedido's agent has taken (routed calls), from its admin port. */
  static long pedidoRouted() throws java.io.IOException {
    JsonNode routed = Smoke.JSON.readTree(Smoke.get("http://127.0.0.33:15000/stats")).findValue("routed");
    assertThat(routed).as("routed in pedido's /stats").isNotNull();
    return routed.asLong();
  }

  /**
   * Issue 14, "Done when": the seed's canary (x-canary: true to v2, the rest to v1), 100 calls per
   * header value, through Spring Cloud LoadBalancer's clients on the mesh name usuario-service, which
   * no Spring discovery knows: without inmesh's module they would fail "No instances available".
   * They step aside, so each call gets exactly one mesh decision, taken by the client below
   * (HttpURLConnection, Reactor Netty): pedido's routed counter grows by one per call.
   */
  @Shows(feature = "canary", value = {"spring-cloud-lb"})
  @Test
  void loadBalancedRestTemplateAndWebClientStepAsideOnAMeshNameAndRouteTheSeedCanaryExactly() throws Exception {
    for (String client : List.of("lb-rest-template", "lb-web-client")) {
      long before = pedidoRouted();
      for (int i = 0; i < 100; i++) {
        JsonNode canary = pedido(client, true);
        assertThat(canary.path("usuario").path("version").asText()).as(client + " canary #" + i).isEqualTo("v2");
        assertThat(canary.path("usuario").path("instance").asText()).isEqualTo("127.0.0.32:8080");
      }
      for (int i = 0; i < 100; i++) {
        JsonNode plain = pedido(client, false);
        assertThat(plain.path("usuario").path("version").asText()).as(client + " plain #" + i).isEqualTo("v1");
        assertThat(plain.path("usuario").path("instance").asText()).isEqualTo("127.0.0.31:8080");
      }
      assertThat(pedidoRouted() - before).as(client + ": one mesh decision per call").isEqualTo(200);
    }
  }

  /**
   * Hosts the mesh does not route keep Spring Cloud's behaviour: a name from Spring's simple
   * discovery is resolved by Spring Cloud LoadBalancer (to v1's address, whatever the canary header
   * says, since the mesh never sees the name), and a name nobody knows fails as Spring Cloud fails
   * it, "No instances available" (the error a mesh name got before this module; shown on another
   * name because the module can't be switched off in this fleet's JVM).
   */
  @Shows(feature = "suite", value = {"spring-cloud-lb"})
  @Test
  void namesTheMeshDoesNotRouteKeepSpringCloudLoadBalancerBehaviour() throws Exception {
    long before = pedidoRouted();
    for (String client : List.of("lb-rest-template", "lb-web-client")) {
      JsonNode legacy = pedido(client, true, "&service=legacy-usuario", 200);
      assertThat(legacy.path("usuario").path("instance").asText()).as(client + " via simple discovery").isEqualTo("127.0.0.31:8080");
    }
    JsonNode rest = pedido("lb-rest-template", false, "&service=nowhere-service", 502);
    assertThat(rest.path("error").asText()).contains("No instances available for nowhere-service");
    JsonNode web = pedido("lb-web-client", false, "&service=nowhere-service", 502);
    assertThat(web.path("upstreamStatus").asInt()).isEqualTo(503);
    assertThat(web.path("upstreamBody").asText()).contains("does not contain an instance for the service nowhere-service");
    assertThat(pedidoRouted() - before).as("no mesh decision for names the mesh does not route").isZero();
  }

  @Shows(feature = "registration", value = {"tomcat"})
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
