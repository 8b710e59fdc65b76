package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Undertow's server meshed (issue 14 item 2): a plain Undertow application
 * (undertow/UndertowServerApp: {@code Undertow.builder().addHttpListener(...)}, two listeners on one
 * server, a second server it stops on request, no inmesh code) registers every listener with the
 * control plane, deregisters a stopped server's, runs the inbound stage before its handlers, and
 * terminates the mesh's mTLS in Undertow's own TLS on its HTTP listeners as PeerAuthentication asks.
 *
 * <p>One fleet: a control plane with a CA and join tokens, the Undertow workload and one meshed JDK
 * HttpClient caller (MtlsCallerApp) with an identity each; the test JVM (no agent) is the client
 * outside the mesh.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class UndertowServerMeshSmokeTest {
  static final String CP = "127.0.27.2:15010";
  static final String SERVER = "127.0.27.30";
  static final String CALLER = "127.0.27.31";
  static final String SERVICE = "undertow-backend";
  static final String TD = MeshIdentityFleet.TD;

  final Path tmp = Smoke.workDir("UndertowServerMeshSmokeTest");
  final MeshIdentityFleet fleet = new MeshIdentityFleet(tmp, Smoke.LOGS.resolve("undertow-server"), CP);
  final Path policies = fleet.policies;
  Proc controlPlane;
  Proc server;
  Proc caller;

  static String peerAuthentication(String mode) {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata:
          name: undertow
          namespace: default
        spec:
          selector:
            matchLabels:
              app: undertow-backend
          mtls:
            mode: %s
        """.formatted(mode);
  }

  @BeforeAll
  void startMesh() throws Exception {
    Smoke.write(policies.resolve("authz.yaml"), "# none yet\n");
    Smoke.write(policies.resolve("peer.yaml"), peerAuthentication("PERMISSIVE"));
    controlPlane = fleet.startControlPlaneWithTokens(SERVICE, "undertow-caller");
    server = fleet.start("undertow-server", fleet.env(SERVICE, "app=undertow-backend,version=v1", SERVER, fleet.tokens.get(SERVICE), SERVICE),
        undertowApp(SERVER, "8080", "8081", "8090"));
    caller = fleet.start("undertow-caller", fleet.env("undertow-caller", CALLER), Smoke.plainApp("mtls.MtlsCallerApp", CALLER, "8080"));
    fleet.awaitIdentity(server, SERVER);
    fleet.awaitIdentity(caller, CALLER);
    awaitTrue(server.name() + " listening", Duration.ofSeconds(60), () -> server.output().contains("listening on"), server);
  }

  @AfterAll
  void stopMesh() {
    fleet.stop();
  }

  /** The plain application's command line, with Undertow's jars (target/undertow) on its class path. */
  static List<String> undertowApp(String... args) {
    Path dir = Smoke.ROOT.resolve("smoke-tests/target/undertow");
    String jars;
    try (Stream<Path> s = Files.list(dir)) {
      jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> cmd = new ArrayList<>(List.of("-cp", Smoke.APPS + File.pathSeparator + jars, "io.inmesh.smoke.undertow.UndertowServerApp"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  static List<String> endpoints() {
    return Smoke.endpointsSeenBy(SERVER).getOrDefault(SERVICE, List.of());
  }

  /**
   * Every listener's bound address and port ({@code Undertow.getListenerInfo()}) reaches the control
   * plane and comes back in the snapshot; a server the application stops is deregistered while the
   * application (and its other server) go on.
   */
  @Shows(feature = "registration", value = {"undertow"})
  @Test
  @Order(1)
  void everyListenerIsRegistered_aStoppedServersListenerIsDeregistered() {
    awaitTrue(
        SERVICE + "'s endpoint " + SERVER + ":[8080,8081,8090] in the snapshot",
        Duration.ofSeconds(30),
        () -> endpoints().stream().anyMatch(e -> e.startsWith(SERVER + ":") && e.contains("8080") && e.contains("8081") && e.contains("8090")),
        server,
        controlPlane);
    assertThat(Smoke.getJson("http://" + SERVER + ":8090/stop-extra").path("handler").asText()).isEqualTo("extra");
    awaitTrue(
        "8090 gone from " + SERVICE + "'s endpoint, 8080 and 8081 kept",
        Duration.ofSeconds(30),
        () -> endpoints().stream().anyMatch(e -> e.startsWith(SERVER + ":") && e.contains("8080") && e.contains("8081") && !e.contains("8090")),
        server,
        controlPlane);
    assertThat(Smoke.status("http://" + SERVER + ":8090/usuarios/1")).as("the stopped server").isEqualTo(-1);
  }

  /**
   * The inbound stage runs before the application's handlers, on each listener (the second has a
   * root handler of its own), over h2c as over HTTP/1.1: an AuthorizationPolicy DENY answers 403 {@code RBAC: access denied}
   * and the handler never sees the request, other paths reach it, and an
   * {@code X-Forwarded-Client-Cert} a client sent never does (Istio sanitizes it).
   * https://istio.io/latest/docs/reference/config/security/authorization-policy/
   */
  @Shows(feature = "inbound", value = {"undertow"})
  @Test
  @Order(2)
  void theInboundStage_denyAnswers403BeforeTheHandler_allowReachesIt_aClientsXfccIsStripped() throws Exception {
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
    for (String port : List.of("8080", "8081")) {
      // this JVM's JDK HttpClient upgrades its first request on each port to h2c: the stage runs on HTTP/2 streams too
      HttpResponse<String> denied = get(port, "/admin/users?from=" + port, null);
      assertThat(denied.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
      assertThat(denied.statusCode()).as(denied.body()).isEqualTo(403);
      assertThat(denied.body()).isEqualTo("RBAC: access denied");
      assertThat(denied.headers().firstValue("x-inmesh-reason")).hasValueSatisfying(r -> assertThat(r).contains("RBAC"));
      HttpResponse<String> ok = get(port, "/usuarios/1?from=" + port, "By=spiffe://cluster.local/ns/default/sa/forged");
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      JsonNode body = Smoke.JSON.readTree(ok.body());
      assertThat(body.path("handler").asText()).isEqualTo(port.equals("8080") ? "main" : "second");
      assertThat(body.path("protocol").asText()).isEqualTo("HTTP/2.0");
      assertThat(body.path("listener").asText()).isEqualTo(SERVER + ":" + port);
      assertThat(body.path("path").asText()).isEqualTo("/usuarios/1?from=" + port);
      assertThat(body.path("xfcc").asText()).as("the client's X-Forwarded-Client-Cert never reaches the application").isEmpty();
      assertThat(server.output()).contains("handled /usuarios/1?from=" + port).doesNotContain("handled /admin");
    }
    // ALLOW: only what a rule allows reaches the application
    Smoke.applyPolicy(policies.resolve("authz.yaml"),
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: only-usuarios
        spec:
          action: ALLOW
          rules:
          - to:
            - operation:
                methods: ["GET"]
                paths: ["/usuarios/*"]
        """,
        List.of(SERVER), server, controlPlane);
    HttpResponse<String> allowed = get("8080", "/usuarios/2", null);
    assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);
    assertThat(Smoke.JSON.readTree(allowed.body()).path("path").asText()).isEqualTo("/usuarios/2");
    HttpResponse<String> notAllowed = get("8081", "/pedidos/2", null);
    assertThat(notAllowed.statusCode()).as(notAllowed.body()).isEqualTo(403);
    assertThat(notAllowed.body()).isEqualTo("RBAC: access denied");
    assertThat(server.output()).contains("handled /usuarios/2").doesNotContain("handled /pedidos/2");
    Smoke.applyPolicy(policies.resolve("authz.yaml"), "# none\n", List.of(SERVER), server, controlPlane);
  }

  /**
   * Under PERMISSIVE the meshed caller's auto mTLS reaches the application over mTLS terminated in
   * Undertow's own TLS, on each listener: the application sees the verified
   * {@code X-Forwarded-Client-Cert} (a forged one replaced), and the peer identity reaches
   * AuthorizationPolicy {@code source.principals}
   * (https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source), which a
   * plain-text client without an identity does not match.
   * https://istio.io/latest/docs/reference/config/security/peer_authentication/
   */
  @Shows(feature = "mtls", value = {"undertow"})
  @Test
  @Order(3)
  void permissive_theMeshedCallerComesOverMtls_theAppSeesTheVerifiedXfcc_principalsReachAuthorization() throws Exception {
    fleet.awaitSeen(CALLER + " to see " + SERVICE + " with its identity and both ports", CALLER, TD + SERVICE, 2, Duration.ofSeconds(60), server, caller, controlPlane);
    for (String port : List.of("8080", "8081")) {
      for (String extra : List.of("", "&forge=1")) {
        JsonNode seen = backendSaw(call("http://undertow-backend:" + port + "/usuarios/5", extra));
        assertThat(seen.path("listener").asText()).isEqualTo(SERVER + ":" + port);
        assertThat(seen.path("xfcc").asText()).as("the verified peer, as Istio's sidecar sets it")
            .startsWith("By=" + TD + SERVICE + ";Hash=").endsWith(";URI=" + TD + "undertow-caller").doesNotContain("forger");
      }
    }
    Smoke.applyPolicy(policies.resolve("authz.yaml"),
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: no-caller-secrets
        spec:
          action: DENY
          rules:
          - from:
            - source:
                principals: ["cluster.local/ns/default/sa/undertow-caller"]
            to:
            - operation:
                paths: ["/secret"]
        """,
        List.of(SERVER), server, controlPlane);
    Map<String, String> denied = call("http://undertow-backend:8080/secret", "");
    assertThat(denied.get("status")).as(denied.get("raw")).isEqualTo("403");
    assertThat(denied.get("raw")).contains("RBAC: access denied");
    assertThat(get("8080", "/secret", null).statusCode()).as("plain text, no principal").isEqualTo(200);
    Smoke.applyPolicy(policies.resolve("authz.yaml"), "# none again\n", List.of(SERVER), server, controlPlane);
  }

  /**
   * PeerAuthentication (https://istio.io/latest/docs/reference/config/security/peer_authentication/):
   * PERMISSIVE serves plain text; STRICT refuses it at the connection (closed, nothing answered),
   * both a new connection and one kept alive across the change, while the meshed caller goes on over
   * mTLS; back to PERMISSIVE plain text is served again.
   */
  @Shows(feature = "mtls", value = {"undertow"})
  @Test
  @Order(4)
  void peerAuthentication_permissiveServesPlainText_strictRefusesItAtTheConnection_mtlsGoesOn() throws Exception {
    try (Socket kept = new Socket()) {
      kept.connect(new InetSocketAddress(SERVER, 8080), 5_000);
      kept.setSoTimeout(15_000);
      assertThat(TomcatMtlsSmokeTest.exchangeKeepAlive(kept)).as("PERMISSIVE: plain text served").startsWith("HTTP/1.1 200").contains("\"handler\":\"main\"");
      Smoke.applyPolicy(policies.resolve("peer.yaml"), peerAuthentication("STRICT"), List.of(SERVER), server, controlPlane);
      assertThat(TomcatMtlsSmokeTest.exchangeKeepAlive(kept)).as("the kept-alive plain connection is closed, not served").doesNotContain("HTTP/1.1").doesNotContain("handler");
    }
    for (String port : List.of("8080", "8081")) {
      assertThat(plainRequest(port, "/usuarios/3")).as("raw HTTP on " + port).isEmpty();
      assertThat(Smoke.status("http://" + SERVER + ":" + port + "/usuarios/3")).as("the JDK HttpClient of this JVM on " + port).isEqualTo(-1);
    }
    assertThat(server.output()).doesNotContain("handled /usuarios/3");
    assertThat(tlsWithoutClientCertificate("8080", "/usuarios/3")).as("TLS without a mesh client certificate").doesNotContain("HTTP/1.1");
    // the agent's own ports are never subject to PeerAuthentication
    assertThat(Smoke.status("http://" + SERVER + ":15020/healthz/ready")).isEqualTo(200);
    // the meshed caller goes on over mTLS
    for (String port : List.of("8080", "8081")) {
      JsonNode seen = backendSaw(call("http://undertow-backend:" + port + "/usuarios/6", ""));
      assertThat(seen.path("xfcc").asText()).endsWith(";URI=" + TD + "undertow-caller");
    }
    Smoke.applyPolicy(policies.resolve("peer.yaml"), peerAuthentication("PERMISSIVE"), List.of(SERVER), server, controlPlane);
    assertThat(plainRequest("8081", "/usuarios/4")).as("PERMISSIVE again").startsWith("HTTP/1.1 200").contains("\"handler\":\"second\"");
  }

  /** The caller's JDK HttpClient calls {@code url}; its answer as key → value. */
  static Map<String, String> call(String url, String extra) {
    return TomcatMtlsSmokeTest.call(CALLER, url, extra);
  }

  /** The application's JSON in a caller's answer, which must be a 200. */
  static JsonNode backendSaw(Map<String, String> answer) throws IOException {
    assertThat(answer.get("status")).as(answer.get("raw")).isEqualTo("200");
    String raw = answer.get("raw");
    return Smoke.JSON.readTree(raw.substring(raw.indexOf('{')));
  }

  static HttpResponse<String> get(String port, String path, String xfcc) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + SERVER + ":" + port + path)).timeout(Duration.ofSeconds(10));
    if (xfcc != null) {
      b.header("X-Forwarded-Client-Cert", xfcc);
    }
    return Smoke.send(b.build());
  }

  /**
   * A raw HTTP/1.1 GET over TLS from this JVM, trusting any server certificate and presenting none;
   * what came back (empty when the handshake failed or the connection was closed).
   */
  static String tlsWithoutClientCertificate(String port, String path) {
    try {
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

        @Override
        public java.security.cert.X509Certificate[] getAcceptedIssuers() {
          return new java.security.cert.X509Certificate[0];
        }
      }}, null);
      try (Socket plain = new Socket()) {
        plain.connect(new InetSocketAddress(SERVER, Integer.parseInt(port)), 5_000);
        plain.setSoTimeout(15_000);
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) context.getSocketFactory().createSocket(plain, SERVER, Integer.parseInt(port), true)) {
          s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: undertow-backend\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    } catch (IOException e) {
      return "";
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** A raw HTTP/1.1 GET over plain TCP from this JVM; what came back (empty when the connection was closed or reset). */
  static String plainRequest(String port, String path) {
    return Smoke.rawGet(SERVER, Integer.parseInt(port), "undertow-backend", path, "");
  }
}
