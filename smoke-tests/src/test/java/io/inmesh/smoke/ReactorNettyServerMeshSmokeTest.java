package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Reactor Netty's {@code HttpServer} meshed (issue 14 item 2): a bare Reactor Netty application
 * (rnserver/ReactorNettyServerApp, {@code HttpServer.create().route(..)}, two servers, no inmesh code,
 * plus a Spring WebFlux server on {@code ReactorHttpHandlerAdapter} as Boot runs it) on Reactor Netty
 * 1.2 with Spring 6.2 (this module's libraries, Spring Boot 3.5's line) and the same application on
 * 1.3 with Spring 7 (target/reactor-netty-1.3-libs, Boot 4's line), BlockHound watching their event
 * loops. Each registers its bound servers, runs the
 * inbound stage before its handler, and terminates mesh mTLS in its own Netty pipeline, following
 * Istio's pages: AuthorizationPolicy (https://istio.io/latest/docs/reference/config/security/authorization-policy/)
 * and PeerAuthentication (https://istio.io/latest/docs/reference/config/security/peer_authentication/,
 * the "Mutual TLS Migration" task https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/:
 * PERMISSIVE first, then STRICT).
 *
 * <p>One fleet: a control plane with a CA and join tokens, the two servers, one meshed JDK
 * HttpClient caller with an identity (mtls/MtlsCallerApp). The test JVM (no agent) is the client
 * outside the mesh.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ReactorNettyServerMeshSmokeTest {
  static final String CONTROL = "127.0.28.1:15010";
  static final String CALLER = "127.0.28.10";
  static final String RN12 = "127.0.28.11";
  static final String RN13 = "127.0.28.12";
  static final String TD = "spiffe://cluster.local/ns/default/sa/";
  /** Service (and service account) of each server. */
  static final Map<String, String> SERVICE = Map.of(RN12, "rn-server", RN13, "rn-server-13");

  static String peerAuthentication(String mode) {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata:
          name: rn-servers
          namespace: default
        spec:
          selector:
            matchLabels:
              role: rnserver
          mtls:
            mode: %s
        """.formatted(mode);
  }

  final Path tmp = Smoke.workDir("ReactorNettyServerMeshSmokeTest");
  final Path logs = Smoke.LOGS.resolve("reactor-netty-server");
  final MeshIdentityFleet fleet = new MeshIdentityFleet(tmp, logs, CONTROL);
  Proc rn12;
  Proc rn13;
  Proc caller;

  @BeforeAll
  void startFleet() throws Exception {
    Smoke.write(fleet.policies.resolve("peer.yaml"), peerAuthentication("PERMISSIVE"));
    Smoke.write(fleet.policies.resolve("authz.yaml"), "# none yet\n");
    fleet.startControlPlaneWithTokens("rn-server", "rn-server-13", "rn-caller");
    List<String> c1 = List.of("-XX:TieredStopAtLevel=1");
    rn12 = fleet.start("rn-server", fleet.env("rn-server", "app=rn-server,role=rnserver", RN12, fleet.tokens.get("rn-server"), "rn-server"),
        concat(c1, serverApp(RN12, reactorNetty12())));
    rn13 = fleet.start("rn-server-13", fleet.env("rn-server-13", "app=rn-server-13,role=rnserver", RN13, fleet.tokens.get("rn-server-13"), "rn-server-13"),
        concat(c1, serverApp(RN13, reactorNetty13())));
    caller = fleet.start("rn-caller", fleet.env("rn-caller", "app=rn-caller", CALLER, fleet.tokens.get("rn-caller"), "rn-caller"),
        concat(c1, Smoke.plainApp("mtls.MtlsCallerApp", CALLER, "8080")));
    for (Proc p : List.of(rn12, rn13, caller)) {
      fleet.awaitIdentity(p, p == rn12 ? RN12 : p == rn13 ? RN13 : CALLER);
    }
    for (Proc p : List.of(rn12, rn13)) {
      awaitTrue(p.name() + " listening", Duration.ofSeconds(60), () -> p.output().contains("listening on"), p);
    }
    fleet.awaitSeen("the caller to see the 1.2 server's three listeners with its identity", CALLER, TD + "rn-server", 3, Duration.ofSeconds(60), rn12, fleet.controlPlane);
    fleet.awaitSeen("the caller to see the 1.3 server with its identity", CALLER, TD + "rn-server-13", 3, Duration.ofSeconds(60), rn13, fleet.controlPlane);
  }

  @AfterAll
  void stopFleet() {
    fleet.stop();
  }

  /** The server application on the given class path (the app's classes first). */
  static List<String> serverApp(String address, List<String> libraries) {
    StringBuilder cp = new StringBuilder(Smoke.APPS.toString());
    libraries.forEach(j -> cp.append(java.io.File.pathSeparator).append(j));
    // BlockHound (a JVM switch and a library on the class path, not inmesh code) watches the event loops
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (entry.replace('\\', '/').contains("/io/projectreactor/tools/blockhound/")) {
        cp.append(java.io.File.pathSeparator).append(entry);
      }
    }
    return List.of("-XX:+IgnoreUnrecognizedVMOptions", "-XX:+AllowRedefinitionToAddDeleteMethods", "-XX:+EnableDynamicAgentLoading",
        "-Drnserver.blockhound=true", "-cp", cp.toString(), "io.inmesh.smoke.rnserver.ReactorNettyServerApp", address, "8080", "8081", "8082");
  }

  /** Reactor Netty 1.2 and Spring Framework 6.2 (Spring Boot 3.5's line): the jars this module resolved. */
  static List<String> reactorNetty12() {
    List<String> jars = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      String e = entry.replace('\\', '/');
      if (e.contains("/io/projectreactor/reactor-core/") || e.contains("/io/projectreactor/netty/") || e.contains("/io/netty/")
          || e.contains("/org/reactivestreams/") || e.contains("/io/micrometer/") || e.contains("/org/springframework/")) {
        jars.add(entry);
      }
    }
    return jars;
  }

  /** Reactor Netty 1.3 and Spring Framework 7 (Spring Boot 4's line): target/reactor-netty-1.3-libs. */
  static List<String> reactorNetty13() {
    try (var jars = Files.list(Smoke.ROOT.resolve("smoke-tests/target/reactor-netty-1.3-libs"))) {
      return jars.sorted().map(Path::toString).toList();
    } catch (IOException e) {
      throw new AssertionError("the Reactor Netty 1.3 libraries (mvn process-test-classes copies them)", e);
    }
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  // ---- registration --------------------------------------------------------------------------------

  /** Every bound server's address and port reach the control plane and come back in another agent's snapshot; the right library line runs. */
  @Shows(feature = "registration", value = {"rn-server"})
  @Test
  @Order(1)
  void everyBoundServerIsRegistered() {
    Map<String, List<String>> seen = Smoke.endpointsSeenBy(CALLER);
    assertThat(seen.get("rn-server")).as(seen.toString()).anyMatch(e -> e.startsWith(RN12 + ":") && e.contains("8080") && e.contains("8081") && e.contains("8082"));
    assertThat(seen.get("rn-server-13")).as(seen.toString()).anyMatch(e -> e.startsWith(RN13 + ":") && e.contains("8080") && e.contains("8081") && e.contains("8082"));
    assertThat(rn12.output()).contains("reactor netty server 1.2.");
    assertThat(rn13.output()).contains("reactor netty server 1.3.");
    assertThat(rn12.output()).contains("webflux 6.");
    assertThat(rn13.output()).contains("webflux 7.");
  }

  // ---- PERMISSIVE ------------------------------------------------------------------------------------

  /**
   * PERMISSIVE: one port serves the meshed caller over mTLS (the application sees the verified
   * {@code X-Forwarded-Client-Cert}, as the sidecar sets it, even when the caller forged one) and a
   * plain client outside the mesh (whose own {@code X-Forwarded-Client-Cert} never reaches it).
   */
  @Shows(feature = "mtls", value = {"rn-server"})
  @Test
  @Order(2)
  void permissiveServesMtlsAndPlainTextOnOnePort_aClientsXfccNeverReachesTheApp() throws Exception {
    for (String server : List.of(RN12, RN13)) {
      for (String extra : List.of("", "&forge=1")) {
        Map<String, String> r = call(CALLER, "http://" + SERVICE.get(server) + "/peer", extra);
        assertThat(r.get("status")).as(server + extra + " " + r.get("raw")).isEqualTo("200");
        assertThat(r.get("xfcc")).as(server + extra).isEqualTo(xfccOf(server, CALLER));
        assertThat(r.get("listener")).isEqualTo(server + ":8080");
      }
      HttpResponse<String> plain = get(server, 8080, "/peer", "By=" + TD + "forged;URI=" + TD + "admin");
      assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
      assertThat(fields(plain.body()).get("xfcc")).as("a client's X-Forwarded-Client-Cert never reaches the application").isEmpty();
      JsonNode inbound = Smoke.getJson("http://" + server + ":15000/stats").path("inbound");
      assertThat(inbound.path("requestsOverMtls").asLong()).as(inbound.toString()).isGreaterThanOrEqualTo(2);
      // TLS without a client certificate: the server shows its mesh certificate, then refuses the client
      List<X509Certificate> presented = new ArrayList<>();
      String oneWay = oneWayTls(server, presented);
      assertThat(oneWay).as("a TLS client without a certificate is refused").doesNotContain("xfcc=");
      assertThat(presented).as("the server's certificate").hasSize(1);
      assertThat(presented.get(0).getSubjectAlternativeNames().toString()).contains(TD + SERVICE.get(server));
    }
  }

  /** A TLS 1.3 client without a certificate, recording the server's; what came back, or why it failed. */
  static String oneWayTls(String server, List<X509Certificate> presented) throws Exception {
    TrustManager[] record = {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
        presented.add(chain[0]);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }};
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(null, record, null);
    try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress(server, 8080), 5_000);
      s.setSoTimeout(15_000);
      s.startHandshake();
      s.getOutputStream().write("GET /peer HTTP/1.1\r\nHost: rn-server\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException refused) {
      return "refused: " + refused;
    }
  }

  // ---- AuthorizationPolicy -----------------------------------------------------------------------------

  /**
   * A DENY answers 403 {@code RBAC: access denied} before the application's handler runs (its count
   * does not move), over plain text and over mTLS; other paths reach the handler.
   */
  @Shows(feature = "inbound", value = {"rn-server"})
  @Test
  @Order(3)
  void denyAnswers403BeforeTheHandler_allowedPathsReachIt() {
    Smoke.applyPolicy(fleet.policies.resolve("authz.yaml"), """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: no-admin
          namespace: default
        spec:
          selector:
            matchLabels:
              role: rnserver
          action: DENY
          rules:
          - to:
            - operation:
                paths: ["/admin", "/admin/*"]
        """, List.of(RN12, RN13), rn12, rn13, fleet.controlPlane);
    for (String server : List.of(RN12, RN13)) {
      long before = handled(server);
      HttpResponse<String> denied = get(server, 8080, "/admin/users", null);
      assertThat(denied.statusCode()).as(denied.body()).isEqualTo(403);
      assertThat(denied.body()).isEqualTo("RBAC: access denied");
      assertThat(denied.headers().firstValue("x-inmesh-reason")).contains("RBAC");
      HttpResponse<String> deniedSecond = get(server, 8081, "/admin", null);
      assertThat(deniedSecond.statusCode()).as("the second server too: " + deniedSecond.body()).isEqualTo(403);
      HttpResponse<String> deniedWebFlux = get(server, 8082, "/admin/users", null);
      assertThat(deniedWebFlux.statusCode()).as("WebFlux's server too: " + deniedWebFlux.body()).isEqualTo(403);
      assertThat(deniedWebFlux.body()).isEqualTo("RBAC: access denied");
      HttpResponse<String> webflux = get(server, 8082, "/usuarios/2", "By=" + TD + "forged;URI=" + TD + "admin");
      assertThat(webflux.statusCode()).as(webflux.body()).isEqualTo(200);
      assertThat(fields(webflux.body())).containsEntry("webflux", "true").containsEntry("path", "/usuarios/2").containsEntry("xfcc", "");
      Map<String, String> overMtls = call(CALLER, "http://" + SERVICE.get(server) + "/admin/users", "");
      assertThat(overMtls.get("status")).as(overMtls.get("raw")).isEqualTo("403");
      assertThat(overMtls.get("raw")).contains("RBAC: access denied");
      assertThat(handled(server)).as("the application's handler never ran for a denied request").isEqualTo(before);
      HttpResponse<String> ok = get(server, 8080, "/usuarios/1", null);
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      assertThat(fields(ok.body()).get("path")).isEqualTo("/usuarios/1");
      assertThat(handled(server)).isEqualTo(before + 1);
    }
  }

  // ---- deregistration ------------------------------------------------------------------------------

  /** {@code dispose()} of one server deregisters its port; the other server stays registered. */
  @Shows(feature = "registration", value = {"rn-server"})
  @Test
  @Order(4)
  void aDisposedServerIsDeregistered() {
    HttpResponse<String> r = get(RN12, 8080, "/dispose-second", null);
    assertThat(r.body()).contains("disposed=8081");
    awaitTrue("the 1.2 server's second port gone from the caller's snapshot", Duration.ofSeconds(30), () -> {
      List<String> eps = Smoke.endpointsSeenBy(CALLER).getOrDefault("rn-server", List.of());
      return eps.stream().anyMatch(e -> e.startsWith(RN12 + ":") && e.contains("8080") && e.contains("8082") && !e.contains("8081"));
    }, rn12, fleet.controlPlane);
    // a new connection is refused (dispose() closes the listening channel; connections already open,
    // such as this JVM's kept-alive one from the test above, are Reactor Netty's to finish)
    assertThat(connects(RN12, 8081)).as("nothing listens there any more").isFalse();
    assertThat(connects(RN12, 8080)).isTrue();
  }

  // ---- PERMISSIVE → STRICT ----------------------------------------------------------------------------

  /**
   * STRICT: plain text is refused at the connection (closed, never served, also on a connection kept
   * alive across the switch); the meshed caller goes on over mTLS, and an ALLOW on its principal lets it
   * through (https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source).
   */
  @Shows(feature = "mtls", value = {"rn-server"})
  @Test
  @Order(5)
  void strictRefusesPlainTextAtTheConnection_theMeshedCallerGoesOnOverMtls() throws Exception {
    List<Socket> keptAlive = new ArrayList<>();
    try {
      for (String server : List.of(RN12, RN13)) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(server, 8080), 5_000);
        s.setSoTimeout(15_000);
        assertThat(TomcatMtlsSmokeTest.exchangeKeepAlive(s)).startsWith("HTTP/1.1 200").contains("xfcc=");
        keptAlive.add(s);
      }
      Smoke.applyPolicy(fleet.policies.resolve("peer.yaml"), peerAuthentication("STRICT"), List.of(RN12, RN13, CALLER), rn12, rn13, fleet.controlPlane);
      for (Socket s : keptAlive) {
        assertThat(TomcatMtlsSmokeTest.exchangeKeepAlive(s)).as("the kept-alive plain connection is closed, not served").doesNotContain("HTTP/1.1").doesNotContain("xfcc=");
      }
    } finally {
      for (Socket s : keptAlive) {
        s.close();
      }
    }
    for (String server : List.of(RN12, RN13)) {
      long before = handled(server, true);
      assertThat(plainRequest(server)).as("raw HTTP from this JVM (no agent)").doesNotContain("HTTP/1.1");
      assertThat(Smoke.status("http://" + server + ":8080/peer")).as("the JDK HttpClient of this JVM").isEqualTo(-1);
      assertThat(Smoke.status("http://" + server + ":15000/config_dump")).as("the agent's own ports are never subject to it").isEqualTo(200);
      Map<String, String> r = call(CALLER, "http://" + SERVICE.get(server) + "/peer", "");
      assertThat(r.get("status")).as(r.get("raw")).isEqualTo("200");
      assertThat(r.get("xfcc")).isEqualTo(xfccOf(server, CALLER));
      assertThat(Long.parseLong(r.get("handled"))).as("only the meshed call reached the handler").isEqualTo(before + 1);
      // WebFlux's server: plain text refused, the meshed caller served over mTLS (the port named in the URL)
      assertThat(Smoke.status("http://" + server + ":8082/peer")).isEqualTo(-1);
      Map<String, String> webflux = call(CALLER, "http://" + SERVICE.get(server) + ":8082/peer", "&forge=1");
      assertThat(webflux.get("status")).as(webflux.get("raw")).isEqualTo("200");
      assertThat(webflux).containsEntry("webflux", "true").containsEntry("xfcc", xfccOf(server, CALLER));
    }
    Smoke.applyPolicy(fleet.policies.resolve("authz.yaml"), """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: only-the-caller
          namespace: default
        spec:
          selector:
            matchLabels:
              role: rnserver
          action: ALLOW
          rules:
          - from:
            - source:
                principals: ["cluster.local/ns/default/sa/rn-caller"]
            to:
            - operation:
                paths: ["/peer"]
        """, List.of(RN12, RN13), rn12, rn13, fleet.controlPlane);
    for (String server : List.of(RN12, RN13)) {
      Map<String, String> allowed = call(CALLER, "http://" + SERVICE.get(server) + "/peer", "&forge=1");
      assertThat(allowed.get("status")).as(allowed.get("raw")).isEqualTo("200");
      assertThat(allowed.get("xfcc")).isEqualTo(xfccOf(server, CALLER));
      Map<String, String> otherPath = call(CALLER, "http://" + SERVICE.get(server) + "/other", "");
      assertThat(otherPath.get("status")).as("not allowed: " + otherPath.get("raw")).isEqualTo("403");
    }
  }

  /**
   * Everything above ran on the servers' event loops (the inbound stage, the 403, the first-byte
   * decision, the mTLS handshakes): BlockHound, live in both servers, caught no blocking call there.
   */
  @Test
  @Order(6)
  void noEventLoopEverBlocked() {
    for (Proc p : List.of(rn12, rn13)) {
      awaitTrue(p.name() + ": BlockHound live", Duration.ofSeconds(10), () -> p.output().contains("[blockhound] installed; a probe sleep on a parallel thread was caught"), p);
      assertThat(p.output()).as(p.name()).doesNotContain("[blockhound] blocking call on a non-blocking thread:");
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------------

  /** The handler's count, asked over plain text (before STRICT) or through the meshed caller. */
  long handled(String server) {
    return handled(server, false);
  }

  long handled(String server, boolean throughCaller) {
    String body = throughCaller ? call(CALLER, "http://" + SERVICE.get(server) + "/count", "").get("raw") : get(server, 8080, "/count", null).body();
    return Long.parseLong(fields(body).get("handled"));
  }

  static HttpResponse<String> get(String server, int port, String path, String xfcc) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + server + ":" + port + path)).timeout(Duration.ofSeconds(10));
    if (xfcc != null) {
      b.header("X-Forwarded-Client-Cert", xfcc);
    }
    return Smoke.send(b.build());
  }

  /** {@code from}'s JDK HttpClient calls {@code url}; the answer as key → value, and {@code raw}. */
  static Map<String, String> call(String from, String url, String extra) {
    Map<String, String> m = fields(Smoke.get("http://" + from + ":8080/call?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8) + extra));
    return m;
  }

  static Map<String, String> fields(String text) {
    return MeshIdentityFleet.fields(text);
  }

  static String xfccOf(String server, String caller) throws Exception {
    String pem = MeshIdentityFleet.identity(caller).path("certificateChain").get(0).asText();
    X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
    return "By=" + TD + SERVICE.get(server) + ";Hash=" + hash + ";Subject=\"\";URI=" + TD + "rn-caller";
  }

  static boolean connects(String server, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(server, port), 5_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A raw HTTP/1.1 GET /peer over plain TCP; what came back (empty when the connection was closed or reset). */
  static String plainRequest(String server) {
    return Smoke.rawGet(server, 8080, "rn-server", "/peer", "");
  }
}
