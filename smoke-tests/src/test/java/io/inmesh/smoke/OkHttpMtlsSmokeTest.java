package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * OkHttp originates mesh mTLS (issue 11), as most code configures it: a default
 * {@code new OkHttpClient()}, connection pooling on, HTTP/1.1 to an {@code http://} URL; OkHttp 4.12
 * and 5.5.1 (one caller JVM running both, each in its own class loader), {@code execute} and
 * {@code enqueue}. Istio's pages followed: auto mTLS
 * (https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#auto-mutual-tls),
 * PeerAuthentication with {@code portLevelMtls}
 * (https://istio.io/latest/docs/reference/config/security/peer_authentication/), secure naming
 * (https://istio.io/latest/docs/concepts/security/#secure-naming) and DestinationRule {@code tls}
 * (https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings).
 *
 * <p>Its own fleet (the shared MtlsSmokeTest fleet runs on other addresses): a control plane with a CA
 * and join tokens, the unmodified mTLS caller (apps/mtls/MtlsCallerApp with MtlsOkHttpCalls) and an
 * unmodified echo backend whose port 8080 is STRICT and 8081 DISABLE; the test JVM plays a host
 * outside the mesh.
 */
@Shows(feature = "mtls", value = {"okhttp4", "okhttp5"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OkHttpMtlsSmokeTest {
  static final String CONTROL = "127.0.32.1:15010";
  static final String CALLER = "127.0.32.10";
  static final String BACKEND = "127.0.32.11";
  static final String NON_MESH = "127.0.32.20";
  static final String TD = "spiffe://cluster.local/ns/default/sa/";
  /** OkHttp 4.12 and 5.x, execute and enqueue. */
  static final List<String> CLIENTS = List.of("&okhttp=4", "&okhttp=4&async=1", "&okhttp=5", "&okhttp=5&async=1");

  static final String POLICIES = """
      # mesh-wide STRICT in the root namespace
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: default
        namespace: istio-system
      spec:
        mtls:
          mode: STRICT
      ---
      # the caller takes plain text from the test (a workload policy wins over the mesh's)
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: caller
        namespace: default
      spec:
        selector:
          matchLabels:
            app: okm-caller
        mtls:
          mode: PERMISSIVE
      ---
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: backend
        namespace: default
      spec:
        selector:
          matchLabels:
            app: okm-backend
        mtls:
          mode: STRICT
        portLevelMtls:
          8081:
            mode: DISABLE
      """;

  final Path tmp = Smoke.workDir("OkHttpMtlsSmokeTest");
  final Path logs = Smoke.LOGS.resolve("okhttp-mtls");
  final MeshIdentityFleet fleet = new MeshIdentityFleet(tmp, logs, CONTROL);
  final List<Proc> procs = fleet.procs;
  final Path policies = fleet.policies;
  final AtomicInteger nonMeshServed = fleet.nonMeshServed;
  Proc controlPlane;
  Proc caller;
  Proc backend;

  @BeforeAll
  void startFleet() throws Exception {
    Smoke.write(policies.resolve("peer-authentication.yaml"), POLICIES);
    controlPlane = fleet.startControlPlane();
    fleet.tokens("okm-caller", "okm-backend");
    caller = fleet.start("okm-caller", fleet.env("okm-caller", CALLER), OkHttpJars.withBoth(plainApp("mtls.MtlsCallerApp", CALLER, "8080")));
    backend = fleet.start("okm-backend", fleet.env("okm-backend", BACKEND), plainApp("mtls.EchoBackendApp", BACKEND, "8080", "8081"));
    for (Proc p : List.of(caller, backend)) {
      fleet.awaitIdentity(p, p == caller ? CALLER : BACKEND);
      awaitTrue(p.name() + " listening", Duration.ofSeconds(120), () -> p.output().contains("listening on"), p);
    }
    fleet.awaitSeen("the caller to see the backend with its identity", CALLER, TD + "okm-backend", 1, Duration.ofSeconds(60), caller, controlPlane);
    fleet.startNonMesh(NON_MESH, "service=non-mesh\n");
  }

  /** The caller's OkHttp calls {@code url}; the answer as key → value. */
  static Map<String, String> call(String url, String client) {
    String text = Smoke.get("http://" + CALLER + ":8080/call?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8) + client);
    return MeshIdentityFleet.fields(text);
  }

  /** Requests the backend served, on any listener (read on its DISABLE port, in plain text). */
  static int servedByBackend() {
    String text = Smoke.get("http://" + BACKEND + ":8081/count");
    return Integer.parseInt(text.trim().substring("served=".length()));
  }

  /** The backend's DestinationRule with this {@code tls}. */
  void destinationRule(String tls) {
    String yaml = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: backend
          namespace: default
        spec:
          host: okm-backend
          trafficPolicy:
            tls:
        """ + tls.indent(6);
    Smoke.applyPolicy(policies.resolve("destination-rule.yaml"), yaml, List.of(CALLER), controlPlane, caller);
  }

  @Test
  @Order(1)
  void okHttpOriginatesMtlsToAStrictWorkload_theBackendSeesTheCallersXfcc_autoMutualTls() throws Exception {
    String xfcc = "By=" + TD + "okm-backend;Hash=" + MeshIdentityFleet.sha256Hex(MeshIdentityFleet.leafOf(CALLER)) + ";Subject=\"\";URI=" + TD + "okm-caller";
    for (int round = 0; round < 2; round++) {
      for (String client : CLIENTS) {
        Map<String, String> r = call("http://okm-backend:8080/hello", client);
        assertThat(r.get("status")).as(client + " " + r.get("raw")).isEqualTo("200");
        assertThat(r.get("service")).isEqualTo("okm-backend");
        assertThat(r.get("okhttp")).as(client).startsWith(client.substring("&okhttp=".length(), "&okhttp=".length() + 1));
        // https://istio.io/latest/docs/ops/configuration/traffic-management/network-topologies/ : XFCC as the sidecar sets it
        assertThat(r.get("xfcc")).as(client).isEqualTo(xfcc);
        assertThat(r.get("handshake")).as(client + ": OkHttp's own response says TLS").isEqualTo("TLSv1.3");
        // connection pooling stays on: every call of one client reuses its one mTLS connection
        assertThat(r.get("pool")).as(client + ": OkHttp's pooled connections").isEqualTo("1");
      }
    }
    // a forged XFCC is replaced by the verified one
    Map<String, String> forged = call("http://okm-backend:8080/forged", "&okhttp=4&forge=1");
    assertThat(forged.get("xfcc")).as(forged.get("raw")).isEqualTo(xfcc);
    JsonNode security = Smoke.getJson("http://" + CALLER + ":15000/stats").path("security");
    assertThat(security.path("upstreamAttemptsMtls").asLong()).as(security.toString()).isGreaterThanOrEqualTo(9);
  }

  /**
   * The DISABLE port gets plain text (auto mTLS follows the server's PeerAuthentication, with
   * {@code portLevelMtls}), and so does a host outside the mesh: the test JVM's own plain HttpServer
   * parses the requests.
   */
  @Test
  @Order(2)
  void plainTextToADisablePortAndToANonMeshHost_autoMutualTls_portLevelMtls() {
    for (String client : CLIENTS) {
      Map<String, String> disabled = call("http://okm-backend:8081/", client);
      assertThat(disabled.get("status")).as(client + " " + disabled.get("raw")).isEqualTo("200");
      assertThat(disabled.get("listener")).isEqualTo(BACKEND + ":8081");
      assertThat(disabled.get("xfcc")).as(client + ": no mTLS, no XFCC").isEmpty();
      assertThat(disabled.get("handshake")).as(client).isEqualTo("none");

      int before = nonMeshServed.get();
      Map<String, String> external = call("http://" + NON_MESH + ":8080/", client);
      assertThat(external.get("status")).as(client + " " + external.get("raw")).isEqualTo("200");
      assertThat(external.get("service")).isEqualTo("non-mesh");
      assertThat(external.get("handshake")).as(client).isEqualTo("none");
      assertThat(nonMeshServed.get()).as(client + ": this JVM's plain HttpServer parsed it").isEqualTo(before + 1);
    }
    assertThat(Smoke.getJson("http://" + CALLER + ":15000/stats").path("security").path("upstreamAttemptsPlain").asLong()).isGreaterThanOrEqualTo(4);
  }

  /**
   * Secure naming: the backend presents {@code okm-backend}, and a DestinationRule
   * {@code ISTIO_MUTUAL} that names another identity in {@code subjectAltNames} makes the caller
   * refuse it: 503 UF, as the JDK clients answer, and not one request reaches the backend (no plain
   * text instead, and the kept-alive mTLS connection verified for the backend's own identity is not
   * reused for this other identity).
   */
  @Test
  @Order(3)
  void aServerWithAnotherIdentityIsRefused_neverSentInPlainText_secureNaming_clientTlsSettings() {
    Map<String, String> warm = call("http://okm-backend:8080/", "&okhttp=4");
    assertThat(warm.get("status")).as(warm.get("raw")).isEqualTo("200");
    destinationRule("mode: ISTIO_MUTUAL\nsubjectAltNames: [\"" + TD + "someone-else\"]");
    try {
      int served = servedByBackend();
      for (String client : CLIENTS) {
        Map<String, String> refused = call("http://okm-backend:8080/", client);
        assertThat(refused.get("status")).as(client + ": the server is not the identity the rule names: " + refused.get("raw")).isEqualTo("503");
        assertThat(refused.get("reason")).as(client).isEqualTo("UF");
      }
      assertThat(servedByBackend()).as("the backend served none of them").isEqualTo(served);
    } finally {
      destinationRule("mode: ISTIO_MUTUAL");
    }
    Map<String, String> again = call("http://okm-backend:8080/", "&okhttp=5");
    assertThat(again.get("status")).as(again.get("raw")).isEqualTo("200");
    assertThat(again.get("xfcc")).endsWith("URI=" + TD + "okm-caller");
  }

  /**
   * OkHttp pools mesh mTLS connections apart from plain ones: with a DestinationRule {@code DISABLE}
   * the caller sends plain text to the STRICT port, where an mTLS connection to the same address and
   * port is kept alive in the same client's pool. Were that connection reused, the call would be
   * served over mTLS; the STRICT server refuses it instead.
   */
  @Test
  @Order(4)
  void aPlainAttemptNeverReusesAPooledMtlsConnection_destinationRuleDisable() {
    for (String client : CLIENTS) {
      Map<String, String> warm = call("http://okm-backend:8080/", client);
      assertThat(warm.get("status")).as(client + " " + warm.get("raw")).isEqualTo("200");
      assertThat(warm.get("handshake")).isEqualTo("TLSv1.3");
    }
    destinationRule("mode: DISABLE");
    try {
      for (String client : CLIENTS) {
        Map<String, String> plain = call("http://okm-backend:8080/", client);
        assertThat(plain.get("status")).as(client + ": plain text to a STRICT port is refused: " + plain.get("raw")).isNotEqualTo("200");
        assertThat(plain.get("raw")).as(client).doesNotContain("service=okm-backend");
      }
    } finally {
      destinationRule("mode: ISTIO_MUTUAL"); // what auto mTLS does for this backend
    }
    Map<String, String> mtls = call("http://okm-backend:8080/", "&okhttp=4&async=1");
    assertThat(mtls.get("status")).as(mtls.get("raw")).isEqualTo("200");
    assertThat(mtls.get("handshake")).isEqualTo("TLSv1.3");
  }

  @AfterAll
  void stopAll() {
    fleet.stop();
  }
}
