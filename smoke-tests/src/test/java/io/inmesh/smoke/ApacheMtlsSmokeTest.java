package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.meshed;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * Apache HttpClient originates mesh mTLS (issue 11): an unmodified caller
 * ({@code apps/mtls/MtlsApacheCalls}: 5.x {@code HttpClients.createDefault()}, 5.x
 * {@code HttpAsyncClients.createDefault()} and 4.5's {@code HttpClients.createDefault()}, pooling
 * on, {@code http://} URLs) calls an unmodified echo backend ({@code apps/mtls/EchoBackendApp}) whose
 * port 8080 is STRICT (the mesh-wide policy in the root namespace), 8081 DISABLE and 8082 PERMISSIVE
 * ({@code portLevelMtls}), and a plain server of this JVM outside the mesh. Istio's pages:
 * PeerAuthentication (https://istio.io/latest/docs/reference/config/security/peer_authentication/),
 * auto mTLS (https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#auto-mutual-tls),
 * secure naming (https://istio.io/latest/docs/concepts/security/#secure-naming), DestinationRule TLS
 * modes (https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings-TLSmode).
 *
 * <p>A fleet of its own on 127.0.33.x (MtlsSmokeTest's fleet, on 127.0.25.x, runs JDK clients):
 * one control plane with a CA and join tokens, two meshed JVMs. The server with the wrong identity
 * needs no third JVM: the registry is told, with a join token (the caller's identity), that a
 * service {@code apache-victim} is served at the backend's PERMISSIVE port (a stale registration, as
 * when a workload dies and another takes its address), so the server there presents the backend's
 * identity where the caller must expect the one the registry vouches for; plain text would be served
 * on that port, so a call sent in plain text instead would be seen.
 */
@Shows(feature = "mtls", value = {"apache5", "apache5-async", "apache4"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ApacheMtlsSmokeTest {
  static final String CONTROL = "127.0.33.1:15010";
  static final String CALLER = "127.0.33.10";
  static final String BACKEND = "127.0.33.11";
  static final String NON_MESH = "127.0.33.20";
  static final String TD = "spiffe://cluster.local/ns/default/sa/";
  static final List<String> CLIENTS = List.of("apache5", "apache5-async", "apache4");

  static final String POLICIES = """
      # the mesh-wide STRICT of the Mutual TLS Migration task's end state, in the root namespace
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: default
        namespace: istio-system
      spec:
        mtls:
          mode: STRICT
      ---
      # the caller takes plain text from this test
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: caller
        namespace: default
      spec:
        selector:
          matchLabels:
            app: apache-mtls-caller
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
            app: apache-mtls-backend
        mtls:
          mode: STRICT
        portLevelMtls:
          8081:
            mode: DISABLE
          8082:
            mode: PERMISSIVE
      """;

  final Path tmp = Smoke.workDir("ApacheMtlsSmokeTest");
  final Path logs = Smoke.LOGS.resolve("apache-mtls");
  final MeshIdentityFleet fleet = new MeshIdentityFleet(tmp, logs, CONTROL);
  final Path policies = fleet.policies;
  final Map<String, String> tokens = fleet.tokens;
  Proc controlPlane;
  Proc caller;
  Proc backend;
  final AtomicInteger nonMeshServed = fleet.nonMeshServed;

  @BeforeAll
  void startFleet() throws Exception {
    Files.createDirectories(fleet.dataDir);
    Smoke.write(policies.resolve("peer-authentication.yaml"), POLICIES);
    // overlapped to keep the class cheap: the control plane starts while the first join token (which
    // makes the data directory's token key) is made; the caller starts while the backend's token is made
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      // a long registry expiry: the stale registration of apache-victim outlives the tests
      Future<Proc> cp = pool.submit(() -> fleet.startControlPlane());
      fleet.token("apache-mtls-caller");
      Future<String> backendToken = pool.submit(() -> fleet.token("apache-mtls-backend"));
      controlPlane = cp.get(120, TimeUnit.SECONDS);
      caller = fleet.start("apache-mtls-caller", fleet.env("apache-mtls-caller", CALLER), Smoke.plainAppWithLibraries("mtls.MtlsApacheCalls", CALLER, "8080"));
      backendToken.get(120, TimeUnit.SECONDS);
      backend = fleet.start("apache-mtls-backend", fleet.env("apache-mtls-backend", BACKEND), Smoke.plainApp("mtls.EchoBackendApp", BACKEND, "8080", "8081", "8082"));
    } finally {
      pool.shutdown();
    }

    // the stale registration: apache-victim, proved by a join token (the caller's: any identity other
    // than the backend's will do), at the backend's PERMISSIVE port
    HttpResponse<String> registered = Smoke.send(HttpRequest.newBuilder(URI.create("http://" + CONTROL + "/v1/register"))
        .header("Authorization", "Bearer " + tokens.get("apache-mtls-caller"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"agent\":\"apache-victim-stale\",\"service\":\"apache-victim\",\"namespace\":\"default\","
            + "\"labels\":{\"app\":\"apache-victim\"},\"address\":\"" + BACKEND + "\",\"ports\":[8082]}"))
        .timeout(Duration.ofSeconds(30))
        .build());
    assertThat(registered.statusCode()).as(registered.body()).isEqualTo(200);

    for (Proc p : List.of(caller, backend)) {
      fleet.awaitIdentity(p, p == caller ? CALLER : BACKEND);
    }
    awaitTrue("the caller to see the backend and the victim with their identities", Duration.ofSeconds(60), () -> {
      JsonNode dump = Smoke.getJson("http://" + CALLER + ":15000/config_dump");
      int withIdentity = 0;
      for (JsonNode s : dump.path("services")) {
        String name = s.path("name").asText();
        for (JsonNode e : s.path("endpoints")) {
          String id = e.path("identity").asText();
          if (!e.path("ports").isEmpty() && (name.equals("apache-mtls-backend") && id.equals(TD + "apache-mtls-backend")
              || name.equals("apache-victim") && id.equals(TD + "apache-mtls-caller"))) {
            withIdentity++;
          }
        }
      }
      return withIdentity >= 2;
    }, caller, controlPlane);
    awaitTrue("the caller listening", Duration.ofSeconds(60), () -> caller.output().contains("listening on"), caller);

    // the non-mesh host answers "xfcc=<the X-Forwarded-Client-Cert it received>"
    fleet.startNonMesh(NON_MESH, "");
  }

  /** The caller's Apache {@code client} calls {@code url}; the answer as key → value (first value wins), and "raw". */
  static Map<String, String> call(String client, String url, String extra) {
    String text = Smoke.get("http://" + CALLER + ":8080/call?client=" + client + "&url=" + URLEncoder.encode(url, StandardCharsets.UTF_8) + extra);
    Map<String, String> m = MeshIdentityFleet.fields(text);
    m.put("raw", client + ": " + text);
    return m;
  }

  static String xfccOfTheCaller() throws Exception {
    String hash = MeshIdentityFleet.sha256Hex(MeshIdentityFleet.leafOf(CALLER));
    return "By=" + TD + "apache-mtls-backend;Hash=" + hash + ";Subject=\"\";URI=" + TD + "apache-mtls-caller";
  }

  static long overMtls() {
    return Smoke.getJson("http://" + BACKEND + ":15000/stats").path("inbound").path("requestsOverMtls").asLong();
  }

  /** Requests the backend's application served on any port ({@code /count} on the DISABLE port, itself not counted). */
  static int served() {
    String text = Smoke.get("http://" + BACKEND + ":8081/count");
    return Integer.parseInt(text.trim().substring("served=".length()));
  }

  @Test
  @Order(1)
  void aStrictBackendIsReachedOverMtlsWithTheVerifiedXfcc_andAPooledConnectionStaysMtls_autoMtls_peerAuthenticationStrict() throws Exception {
    String expected = xfccOfTheCaller();
    long before = overMtls();
    for (String client : CLIENTS) {
      java.util.Set<String> connections = new java.util.HashSet<>();
      for (int i = 0; i < 3; i++) {
        // the second and third calls reuse the pooled connection: still the caller's verified identity
        Map<String, String> r = call(client, "http://apache-mtls-backend:8080/hello", i == 2 ? "&forge=1" : "");
        assertThat(r.get("status")).as(r.get("raw")).isEqualTo("200");
        assertThat(r.get("service")).as(r.get("raw")).isEqualTo("apache-mtls-backend");
        // https://istio.io/latest/docs/ops/configuration/traffic-management/network-topologies/ : XFCC as the sidecar sets it
        assertThat(r.get("xfcc")).as(r.get("raw") + " (a forged XFCC never reaches the application)").isEqualTo(expected);
        connections.add(r.get("peer"));
      }
      // Apache marks a connection that presented a client certificate as its principal's; the mesh
      // keeps its mTLS connections reusable by the next call that expects the same identities. The
      // async client completes the application's future before its I/O thread hands the connection
      // back to the pool, so a call made at once may lease a second one (seen once in CI, 2 ports of
      // 3): there, at least one reuse is what shows the pooled connection staying mTLS
      if (client.endsWith("-async")) {
        assertThat(connections).as(client + ": client ports of three calls in a row (a pooled mTLS connection reused)").hasSizeLessThan(3);
      } else {
        assertThat(connections).as(client + ": client ports of three calls in a row (one pooled mTLS connection)").hasSize(1);
      }
    }
    assertThat(overMtls() - before).as("requests the backend took over mTLS").isGreaterThanOrEqualTo(9);
    // the STRICT port refuses plain text: the Apache calls above did not go out in plain text
    assertThat(MtlsSmokeTest.plainRequest(BACKEND, 8080, "")).doesNotContain("service=");
  }

  @Test
  @Order(2)
  void aServerPresentingAnotherIdentityIsRefusedAsAConnectFailure_neverInPlainText_secureNaming() {
    int servedBefore = served();
    for (String client : CLIENTS) {
      Map<String, String> refused = call(client, "http://apache-victim:8082/", "");
      assertThat(refused.get("status")).as(refused.get("raw")).isEqualTo("503");
      assertThat(refused.get("reason")).as(refused.get("raw")).isEqualTo("UF");
    }
    // the port serves plain text (PERMISSIVE): a call sent in plain text instead would have been served
    assertThat(MtlsSmokeTest.plainRequest(BACKEND, 8082, "")).contains("service=apache-mtls-backend");
    assertThat(served() - servedBefore).as("requests served besides this test's own plain one").isEqualTo(1);
    assertThat(caller.output()).doesNotContain("Exception in thread");
  }

  @Test
  @Order(3)
  void plainTextToADisablePortAndToAHostOutsideTheMesh_autoMtls_portLevelMtls() {
    long before = overMtls();
    for (String client : CLIENTS) {
      Map<String, String> disabled = call(client, "http://apache-mtls-backend:8081/", "");
      assertThat(disabled.get("status")).as(disabled.get("raw")).isEqualTo("200");
      assertThat(disabled.get("listener")).as(disabled.get("raw")).isEqualTo(BACKEND + ":8081");
      assertThat(disabled.get("xfcc")).as("no mTLS, no XFCC: " + disabled.get("raw")).isEmpty();
      int n = nonMeshServed.get();
      Map<String, String> external = call(client, "http://" + NON_MESH + ":8080/", "");
      assertThat(external.get("status")).as(external.get("raw")).isEqualTo("200");
      assertThat(external.get("xfcc")).as(external.get("raw")).isEqualTo("null");
      assertThat(nonMeshServed.get()).as(client + ": this JVM's plain HttpServer parsed it: plain text").isEqualTo(n + 1);
    }
    assertThat(overMtls()).as("none of those came over mTLS").isEqualTo(before);
  }

  static String destinationRule(String tls) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: backend
          namespace: default
        spec:
          host: apache-mtls-backend
          trafficPolicy:
            tls:
        """ + tls.indent(6);
  }

  /**
   * TLS and plain connections to one endpoint and port are pooled apart, and mTLS connections apart
   * per expected identity: after plain calls (DestinationRule {@code DISABLE}) to the PERMISSIVE port,
   * an mTLS call does not reuse a plain connection (its XFCC names the caller); after mTLS calls, a
   * rule whose {@code subjectAltNames} names someone else is refused (UF) rather than served on the
   * connection verified for the backend's identity.
   */
  @Test
  @Order(4)
  void tlsAndPlainConnectionsArePooledApart_andPerExpectedIdentity_destinationRuleTlsModes() throws Exception {
    String expected = xfccOfTheCaller();
    Path dr = policies.resolve("destination-rule.yaml");
    Smoke.applyPolicy(dr, destinationRule("mode: DISABLE"), List.of(CALLER), controlPlane);
    for (String client : CLIENTS) {
      for (int i = 0; i < 2; i++) {
        Map<String, String> plain = call(client, "http://apache-mtls-backend:8082/", "");
        assertThat(plain.get("status")).as(plain.get("raw")).isEqualTo("200");
        assertThat(plain.get("xfcc")).as("DISABLE: plain text to a PERMISSIVE port: " + plain.get("raw")).isEmpty();
      }
    }
    Smoke.applyPolicy(dr, destinationRule("mode: ISTIO_MUTUAL"), List.of(CALLER), controlPlane);
    for (String client : CLIENTS) {
      for (int i = 0; i < 2; i++) {
        Map<String, String> mtls = call(client, "http://apache-mtls-backend:8082/", "");
        assertThat(mtls.get("status")).as(mtls.get("raw")).isEqualTo("200");
        assertThat(mtls.get("xfcc")).as("ISTIO_MUTUAL, never on a pooled plain connection: " + mtls.get("raw")).isEqualTo(expected);
      }
    }
    Smoke.applyPolicy(dr, destinationRule("mode: ISTIO_MUTUAL\nsubjectAltNames: [\"" + TD + "someone-else\"]"), List.of(CALLER), controlPlane);
    for (String client : CLIENTS) {
      Map<String, String> refused = call(client, "http://apache-mtls-backend:8082/", "");
      assertThat(refused.get("status")).as("not the identity the rule names, pooled connection or not: " + refused.get("raw")).isEqualTo("503");
      assertThat(refused.get("reason")).as(refused.get("raw")).isEqualTo("UF");
    }
  }

  @AfterAll
  void stopAll() {
    fleet.stop();
  }
}
