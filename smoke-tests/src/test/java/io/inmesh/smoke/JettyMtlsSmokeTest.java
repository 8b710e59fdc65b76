package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11 on Jetty 12, both sides, following Istio's pages: PeerAuthentication
 * (https://istio.io/latest/docs/reference/config/security/peer_authentication/), the "Mutual TLS
 * Migration" task (https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/: the
 * workload PERMISSIVE, then STRICT), auto mTLS
 * (https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#auto-mutual-tls), secure
 * naming (https://istio.io/latest/docs/concepts/security/#secure-naming) with DestinationRule
 * {@code tls} (https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings),
 * XFCC as the sidecar sets it and AuthorizationPolicy {@code source.principals}
 * (https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source).
 *
 * <p>One fleet: a control plane with a CA and join tokens; an unmodified Jetty 12.1 server
 * (apps/jetty/JettyServerApp: one {@code ServerConnector}, a core handler) and an unmodified caller
 * (apps/jetty/JettyCallerApp) whose Jetty {@code HttpClient} ({@code send()} and
 * {@code send(listener)}) and JDK {@code HttpClient} are both meshed. The test JVM (no agent) and
 * {@code curl} are the clients outside the mesh.
 */
@Shows(feature = "mtls", value = {"jetty-client", "jetty-server"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class JettyMtlsSmokeTest {
  static final String CONTROL = "127.0.36.1:15010";
  static final String CALLER = "127.0.36.10";
  static final String JETTY = "127.0.36.11";
  static final String TD = MeshIdentityFleet.TD;
  /** The caller's three meshed clients: Jetty's blocking and listener sends, and the JDK's. */
  static final List<String> CLIENTS = List.of("jetty", "jetty-async", "jdk");
  static final List<String> JETTY_CLIENTS = List.of("jetty", "jetty-async");

  static final String MESH = """
      # Mutual TLS Migration, the end state: mesh-wide STRICT in the root namespace
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: default
        namespace: istio-system
      spec:
        mtls:
          mode: STRICT
      ---
      # the caller takes plain text from the test
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: callers
        namespace: default
      spec:
        selector:
          matchLabels:
            role: caller
        mtls:
          mode: PERMISSIVE
      """;

  static String jettyMode(String mode) {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata:
          name: jetty
          namespace: default
        spec:
          selector:
            matchLabels:
              app: jetty-mtls
          mtls:
            mode: %s
        """.formatted(mode);
  }

  final Path tmp = Smoke.workDir("JettyMtlsSmokeTest");
  final Path logs = Smoke.LOGS.resolve("jetty-mtls");
  final MeshIdentityFleet fleet = new MeshIdentityFleet(tmp, logs, CONTROL);
  final Path policies = fleet.policies;
  Proc controlPlane;
  Proc jetty;
  Proc caller;

  @BeforeAll
  void startFleet() throws Exception {
    Smoke.write(policies.resolve("mesh.yaml"), MESH);
    Smoke.write(policies.resolve("jetty.yaml"), jettyMode("PERMISSIVE"));
    controlPlane = fleet.startControlPlaneWithTokens("jetty-mtls", "jetty-caller");
    jetty = fleet.start("jetty-mtls", fleet.env("jetty-mtls", JETTY), JettyClientMeshSmokeTest.withJetty(plainApp("jetty.JettyServerApp", JETTY, "8080")));
    caller = fleet.start("jetty-caller", fleet.env("jetty-caller", "app=jetty-caller,role=caller", CALLER, fleet.tokens.get("jetty-caller"), "jetty-caller"),
        JettyClientMeshSmokeTest.withJetty(plainApp("jetty.JettyCallerApp", CALLER, "8080")));
    for (Proc p : List.of(jetty, caller)) {
      String address = p == jetty ? JETTY : CALLER;
      fleet.awaitIdentity(p, address);
      awaitTrue(p.name() + " listening", Duration.ofSeconds(120), () -> p.output().contains("listening on"), p);
    }
    fleet.awaitSeen("the caller to see the Jetty server with its identity", CALLER, TD + "jetty-mtls", 1, Duration.ofSeconds(60), caller, controlPlane);
  }

  @AfterAll
  void stopAll() {
    fleet.stop();
  }

  /** One call by the caller's {@code client} to {@code url}: the caller's account of it (status, reason, the server's fields). */
  static JsonNode call(String client, String url, String... headers) {
    StringBuilder q = new StringBuilder("http://" + CALLER + ":8080/call?client=" + client + "&timeoutMs=20000&url=" + URLEncoder.encode(url, StandardCharsets.UTF_8));
    for (String h : headers) {
      q.append("&h=").append(URLEncoder.encode(h, StandardCharsets.UTF_8));
    }
    return Smoke.getJson(q.toString()).path("results").get(0);
  }

  /** XFCC as the Jetty workload's mesh sets it for the caller (JettyServerApp prints its double quotes as single ones). */
  static String callersXfcc() throws Exception {
    return "By=" + TD + "jetty-mtls;Hash=" + MeshIdentityFleet.sha256Hex(MeshIdentityFleet.leafOf(CALLER)) + ";Subject='';URI=" + TD + "jetty-caller";
  }

  static long inboundOverMtls() {
    return Smoke.getJson("http://" + JETTY + ":15000/stats").path("inbound").path("requestsOverMtls").asLong();
  }

  static final String FORGED = "X-Forwarded-Client-Cert: By=x;Hash=00;Subject=\"\";URI=" + TD + "jetty-caller";

  /** A raw HTTP/1.1 GET /peer over plain TCP from this JVM; what came back (empty when the connection was closed or reset). */
  static String plainRequest(String extraHeader) {
    return Smoke.rawGet(JETTY, 8080, "jetty-mtls", "/peer", extraHeader);
  }

  // ---- the Jetty server, PERMISSIVE -----------------------------------------------------------------

  @Test
  @Order(1)
  void permissiveServesMeshedCallersOverMtlsAndAPlainClientOnOnePort_mutualTlsMigration() throws Exception {
    long before = inboundOverMtls();
    String xfcc = callersXfcc();
    for (String client : CLIENTS) {
      JsonNode r = call(client, "http://jetty-mtls/peer");
      assertThat(r.path("status").asText()).as(client + " " + r).isEqualTo("200");
      // https://istio.io/latest/docs/ops/configuration/traffic-management/network-topologies/ : XFCC as the sidecar sets it
      assertThat(r.path("xfcc").asText()).as(client).isEqualTo(xfcc);
      assertThat(r.path("scheme").asText()).as(client + ": the application sees plain http, as behind a sidecar").isEqualTo("http");
      assertThat(r.path("secure").asText()).as(client).isEqualTo("false");
      assertThat(r.path("listener").asText()).isEqualTo(JETTY + ":8080");
      // a forged XFCC from a meshed caller is replaced by the verified one
      JsonNode forged = call(client, "http://jetty-mtls/forged", FORGED);
      assertThat(forged.path("xfcc").asText()).as(client + " " + forged).isEqualTo(xfcc);
    }
    assertThat(inboundOverMtls() - before).as("requests the Jetty workload's mesh served over mTLS").isGreaterThanOrEqualTo(6);
    // a client outside the mesh, same port, with an XFCC of its own: served in plain text, the header removed
    String plain = plainRequest(FORGED + "\r\n");
    assertThat(plain).startsWith("HTTP/1.1 200").contains("\"xfcc\":\"\"").contains("\"scheme\":\"http\"").doesNotContain("jetty-caller");
    JsonNode security = Smoke.getJson("http://" + CALLER + ":15000/stats").path("security");
    assertThat(security.path("upstreamAttemptsMtls").asLong()).as(security.toString()).isGreaterThanOrEqualTo(6);
  }

  @Test
  @Order(2)
  void jettyPresentsTheWorkloadsMeshCertificateAndRefusesAClientWithoutOne() throws Exception {
    List<X509Certificate> presented = new CopyOnWriteArrayList<>();
    TrustManager[] recordServer = TlsProbe.recordingServer(presented);
    SSLContext withoutCert = SSLContext.getInstance("TLSv1.3");
    withoutCert.init(null, recordServer, null);
    String got = TlsProbe.get(withoutCert, JETTY, 8080, "jetty-mtls", "/peer");
    assertThat(got).as("a TLS client without a mesh certificate is refused").doesNotContain("\"xfcc\"").doesNotContain("HTTP/1.1 200");
    // Jetty spoke TLS 1.3 with the workload's mesh certificate before it refused the client
    assertThat(presented).as("the server's certificate").hasSize(1);
    assertThat(presented.get(0).getSubjectAlternativeNames().toString()).contains(TD + "jetty-mtls");
    assertThat(presented.get(0)).isEqualTo(MeshIdentityFleet.leafOf(JETTY));
  }

  // ---- PERMISSIVE → STRICT ----------------------------------------------------------------------------

  @Test
  @Order(3)
  void strictClosesKeptAlivePlainConnectionsRefusesPlainTextAndCurl_servesMeshedCallers_peerAuthenticationStrict() throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(JETTY, 8080), 5_000);
      s.setSoTimeout(15_000);
      assertThat(TomcatMtlsSmokeTest.exchangeKeepAlive(s)).startsWith("HTTP/1.1 200").contains("\"xfcc\":\"\"");
      Smoke.applyPolicy(policies.resolve("jetty.yaml"), jettyMode("STRICT"), List.of(JETTY), controlPlane, jetty);
      assertThat(TomcatMtlsSmokeTest.exchangeKeepAlive(s)).as("the kept-alive plain connection is closed, not served").doesNotContain("HTTP/1.1").doesNotContain("xfcc");
    }
    assertThat(plainRequest("")).as("raw HTTP from this JVM (no agent)").isEmpty();
    assertThat(Smoke.status("http://" + JETTY + ":8080/peer")).as("the JDK HttpClient of this JVM").isEqualTo(-1);
    Process curl = new ProcessBuilder("curl", "-sS", "-m", "10", "http://" + JETTY + ":8080/peer").redirectErrorStream(true).start();
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(curl.exitValue()).as("curl: " + out).isNotZero();
    assertThat(out).doesNotContain("xfcc");
    // the agent's own ports are never subject to PeerAuthentication
    assertThat(Smoke.status("http://" + JETTY + ":15020/healthz/ready")).isEqualTo(200);
    String xfcc = callersXfcc();
    for (String client : CLIENTS) {
      JsonNode r = call(client, "http://jetty-mtls/peer");
      assertThat(r.path("status").asText()).as(client + " " + r).isEqualTo("200");
      assertThat(r.path("xfcc").asText()).as(client).isEqualTo(xfcc);
    }
  }

  /** {@code principals} is the peer identity of mTLS on Jetty as on the JDK server and Tomcat; a forged XFCC grants nothing. */
  @Shows(feature = "inbound", value = {"jetty-server"})
  @Test
  @Order(4)
  void authorizationSeesThePeersPrincipal_sourcePrincipals() {
    Smoke.applyPolicy(policies.resolve("authorization.yaml"), """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: jetty-callers
          namespace: default
        spec:
          selector:
            matchLabels:
              app: jetty-mtls
          action: ALLOW
          rules:
          - from:
            - source:
                principals: ["cluster.local/ns/default/sa/jetty-caller"]
            to:
            - operation:
                paths: ["/peer"]
          - from:
            - source:
                principals: ["cluster.local/ns/default/sa/someone-else"]
            to:
            - operation:
                paths: ["/other"]
        """, List.of(JETTY), controlPlane, jetty);
    for (String client : CLIENTS) {
      JsonNode allowed = call(client, "http://jetty-mtls/peer");
      assertThat(allowed.path("status").asText()).as(client + " " + allowed).isEqualTo("200");
      JsonNode denied = call(client, "http://jetty-mtls/other", "X-Forwarded-Client-Cert: By=x;Hash=00;Subject=\"\";URI=" + TD + "someone-else");
      assertThat(denied.path("status").asText()).as(client + " " + denied).isEqualTo("403");
      assertThat(denied.path("body").asText()).isEqualTo("RBAC: access denied");
    }
    Smoke.applyPolicy(policies.resolve("authorization.yaml"), "# none\n", List.of(JETTY), controlPlane, jetty);
  }

  // ---- the Jetty client --------------------------------------------------------------------------------

  /**
   * Secure naming: the server presents {@code jetty-mtls}; a DestinationRule {@code ISTIO_MUTUAL} naming
   * another identity in {@code subjectAltNames} makes the Jetty client refuse it: 503 UF, and not one
   * request reaches the server (no plain text instead, and the kept-alive connection verified for the
   * server's own identity is not reused for this other identity).
   */
  @Test
  @Order(5)
  void theJettyClientRefusesAServerWithAnotherIdentity_neverPlainText_secureNaming() {
    for (String client : JETTY_CLIENTS) {
      JsonNode warm = call(client, "http://jetty-mtls/peer");
      assertThat(warm.path("status").asText()).as(client + " " + warm).isEqualTo("200");
    }
    destinationRule("mode: ISTIO_MUTUAL\nsubjectAltNames: [\"" + TD + "someone-else\"]");
    try {
      long served = inboundOverMtls();
      for (String client : JETTY_CLIENTS) {
        JsonNode refused = call(client, "http://jetty-mtls/peer");
        assertThat(refused.path("status").asText()).as(client + ": the server is not the identity the rule names: " + refused).isEqualTo("503");
        assertThat(refused.path("reason").asText()).as(client).isEqualTo("UF");
      }
      assertThat(inboundOverMtls()).as("the Jetty server served none of them").isEqualTo(served);
    } finally {
      destinationRule("mode: ISTIO_MUTUAL");
    }
    JsonNode again = call("jetty", "http://jetty-mtls/peer");
    assertThat(again.path("status").asText()).as(again.toString()).isEqualTo("200");
    assertThat(again.path("xfcc").asText()).endsWith("URI=" + TD + "jetty-caller");
  }

  /**
   * Jetty pools mesh mTLS connections apart from plain ones: with a DestinationRule {@code DISABLE} the
   * Jetty client sends plain text to the STRICT port, where an mTLS connection to the same address and
   * port is kept alive in the same client. Were that connection reused, the call would be served over
   * mTLS; the STRICT server refuses it instead.
   */
  @Test
  @Order(6)
  void aPlainAttemptNeverReusesAPooledMtlsConnection_destinationRuleDisable() {
    destinationRule("mode: DISABLE");
    try {
      for (String client : JETTY_CLIENTS) {
        JsonNode plain = call(client, "http://jetty-mtls/peer");
        assertThat(plain.path("status").asText()).as(client + ": plain text to a STRICT port is refused: " + plain).isNotEqualTo("200");
        assertThat(plain.path("xfcc").asText()).as(client).isEmpty();
      }
    } finally {
      destinationRule("mode: ISTIO_MUTUAL"); // what auto mTLS does for this server
    }
  }

  /**
   * {@code portLevelMtls} DISABLE on the workload's port wins over its STRICT mode: Jetty serves plain
   * text there, and the caller's auto mTLS follows with plain text.
   */
  @Test
  @Order(7)
  void portLevelDisableServesPlainTextAndAutoMtlsFollows_portLevelMtls() {
    // no DestinationRule: auto mTLS decides (a rule's ISTIO_MUTUAL would send mTLS whatever the server takes)
    Smoke.applyPolicy(policies.resolve("destination-rule.yaml"), "# none\n", List.of(CALLER), controlPlane, caller);
    Smoke.applyPolicy(policies.resolve("jetty.yaml"), jettyMode("STRICT") + """
          portLevelMtls:
            8080:
              mode: DISABLE
        """, List.of(JETTY, CALLER), controlPlane, jetty);
    assertThat(plainRequest("")).as("plain text from this JVM").startsWith("HTTP/1.1 200").contains("\"xfcc\":\"\"");
    for (String client : CLIENTS) {
      JsonNode r = call(client, "http://jetty-mtls/peer");
      assertThat(r.path("status").asText()).as(client + " " + r).isEqualTo("200");
      assertThat(r.path("xfcc").asText()).as(client + ": no mTLS to a DISABLE port: no XFCC").isEmpty();
    }
  }

  /** The server's DestinationRule with this {@code tls}. */
  void destinationRule(String tls) {
    String yaml = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: jetty-mtls
          namespace: default
        spec:
          host: jetty-mtls
          trafficPolicy:
            tls:
        """ + tls.indent(6);
    Smoke.applyPolicy(policies.resolve("destination-rule.yaml"), yaml, List.of(CALLER), controlPlane, caller);
  }
}
