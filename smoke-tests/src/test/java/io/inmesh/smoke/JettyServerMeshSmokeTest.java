package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Jetty 12's server meshed (issue 14): a plain Jetty application (apps/jetty/JettyServerApp, one
 * {@code ServerConnector}, a core handler, no inmesh code) registers its connector with the control
 * plane and runs the inbound stage before its handler.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class JettyServerMeshSmokeTest {
  static final Duration STARTUP = Duration.ofSeconds(300);
  static final String CP = "127.0.26.2:15010";
  static final String SERVER = "127.0.26.30";

  final Path tmp = Smoke.workDir("JettyServerMeshSmokeTest");
  Path policies;
  Proc controlPlane;
  Proc server;

  @BeforeAll
  void startMesh() throws Exception {
    policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("jetty-server");
    Smoke.write(policies.resolve("authz.yaml"), "# none yet\n");
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("control-data"), logs, "60s");
    server = meshed("jetty-server", inmeshEnv("jetty-backend", "app=jetty-backend,version=v1", SERVER, "http://" + CP, tmp.resolve("cache")), logs,
        JettyClientMeshSmokeTest.withJetty(plainApp("jetty.JettyServerApp", SERVER, "8080")));
    awaitReady(server, SERVER, STARTUP);
    awaitTrue(server.name() + " listening", STARTUP, () -> server.output().contains("listening on"), server);
  }

  @AfterAll
  void stopMesh() {
    if (server != null) {
      server.stop();
    }
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  /** The connector's bound address and port reach the control plane and come back in the snapshot. */
  @Shows(feature = "registration", value = {"jetty-server"})
  @Test
  @Order(1)
  void theServerConnectorIsRegistered() {
    awaitTrue(
        "jetty-backend's endpoint " + SERVER + ":8080 in the snapshot",
        Duration.ofSeconds(30),
        () -> Smoke.endpointsSeenBy(SERVER).getOrDefault("jetty-backend", List.of()).stream().anyMatch(e -> e.startsWith(SERVER + ":") && e.contains("8080")),
        server,
        controlPlane);
  }

  /**
   * The inbound stage runs before the application's handler: an AuthorizationPolicy DENY answers 403
   * {@code RBAC: access denied} without the handler, other paths reach it, and an
   * {@code X-Forwarded-Client-Cert} a client sent never does (Istio sanitizes it).
   * https://istio.io/latest/docs/reference/config/security/authorization-policy/
   */
  @Shows(feature = "inbound", value = {"jetty-server"})
  @Test
  @Order(2)
  void theInboundStage_denyAnswers403BeforeTheHandler_aClientsXfccIsStripped() throws Exception {
    Smoke.applyPolicy(policies.resolve("authz.yaml"),
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: no-admin
        spec:
          action: DENY
          rules:
          - to:
            - operation:
                paths: ["/admin", "/admin/*"]
        """,
        List.of(SERVER), server, controlPlane);
    HttpResponse<String> denied = get("/admin/users", null);
    assertThat(denied.statusCode()).as(denied.body()).isEqualTo(403);
    assertThat(denied.body()).isEqualTo("RBAC: access denied");
    assertThat(denied.headers().firstValue("x-inmesh-reason")).contains("RBAC");
    HttpResponse<String> ok = get("/usuarios/1", "By=spiffe://cluster.local/ns/default/sa/forged");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    JsonNode body = Smoke.JSON.readTree(ok.body());
    assertThat(body.path("path").asText()).isEqualTo("/usuarios/1");
    assertThat(body.path("xfcc").asText()).as("the client's X-Forwarded-Client-Cert never reaches the application").isEmpty();
  }

  static HttpResponse<String> get(String path, String xfcc) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + SERVER + ":8080" + path)).timeout(Duration.ofSeconds(10));
    if (xfcc != null) {
      b.header("X-Forwarded-Client-Cert", xfcc);
    }
    return Smoke.send(b.build());
  }
}
