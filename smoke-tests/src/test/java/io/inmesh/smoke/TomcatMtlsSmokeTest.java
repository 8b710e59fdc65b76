package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.MeshIdentityFleet.leafOf;
import static io.inmesh.smoke.MeshIdentityFleet.sha256Hex;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
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
 * Issue 11 on Tomcat: PeerAuthentication on a Spring Boot 3 application served by embedded Tomcat
 * (the usuario-service example, unmodified but for a {@code /peer} endpoint that prints what it got),
 * with mTLS terminated inside Tomcat's NIO connector, following Istio's pages: PeerAuthentication
 * (https://istio.io/latest/docs/reference/config/security/peer_authentication/), the "Mutual TLS
 * Migration" task (https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/: the
 * workload PERMISSIVE first, then STRICT), XFCC as the sidecar sets it, and AuthorizationPolicy
 * {@code source.principals} (https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source).
 *
 * <p>One fleet: a control plane with a CA and join tokens; the Tomcat workload; two meshed JDK
 * HttpClient callers (MtlsCallerApp) with two identities. The test JVM (no agent) and {@code curl} are
 * the clients outside the mesh.
 */
@Shows(feature = "mtls", value = {"tomcat"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class TomcatMtlsSmokeTest {
  static final String CONTROL = "127.0.31.1:15010";
  static final String CALLER = "127.0.31.10";
  static final String TOMCAT = "127.0.31.11";
  static final String STRANGER = "127.0.31.12";
  static final String TD = "spiffe://cluster.local/ns/default/sa/";

  static final String MESH_STRICT = """
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
      # the callers take plain text from the test
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

  static String tomcatMode(String mode) {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata:
          name: tomcat
          namespace: default
        spec:
          selector:
            matchLabels:
              app: tomcat-mtls
          mtls:
            mode: %s
        """.formatted(mode);
  }

  final Path tmp = Smoke.workDir("TomcatMtlsSmokeTest");
  final Path logs = Smoke.LOGS.resolve("tomcat-mtls");
  final MeshIdentityFleet fleet = new MeshIdentityFleet(tmp, logs, CONTROL);
  final Path policies = fleet.policies;
  Proc controlPlane;
  Proc tomcat;
  Future<Path> foreignKeyStore;

  @BeforeAll
  void startFleet() throws Exception {
    Smoke.write(policies.resolve("mesh.yaml"), MESH_STRICT);
    Smoke.write(policies.resolve("tomcat.yaml"), tomcatMode("PERMISSIVE"));
    // the first token (it makes the data directory's token key) while the control plane starts; the
    // others are made, and the foreign client certificate generated, while the Spring Boot
    // application starts (its start dominates)
    controlPlane = fleet.startControlPlaneWithTokens("tomcat-mtls");
    String usuarioJar = Smoke.ROOT.resolve("examples/usuario-service/target/usuario-service.jar").toString();
    // C1 only: the JVMs start faster on a busy machine; a JIT flag, not a change to the application
    tomcat = start("tomcat-mtls", "app=tomcat-mtls", TOMCAT,
        List.of("-XX:TieredStopAtLevel=1", "-jar", usuarioJar, "--server.address=" + TOMCAT, "--server.port=8080"));
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<?>> made = new ArrayList<>();
    for (String sa : List.of("tomcat-caller", "tomcat-stranger")) {
      made.add(pool.submit(() -> fleet.token(sa)));
    }
    foreignKeyStore = pool.submit(this::foreignClientKeyStore);
    for (Future<?> f : made) {
      f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    List<String> c1 = List.of("-XX:TieredStopAtLevel=1");
    Proc caller = start("tomcat-caller", "app=tomcat-caller,role=caller", CALLER, concat(c1, plainApp("mtls.MtlsCallerApp", CALLER, "8080")));
    Proc stranger = start("tomcat-stranger", "app=tomcat-stranger,role=caller", STRANGER, concat(c1, plainApp("mtls.MtlsCallerApp", STRANGER, "8080")));
    for (Proc p : List.of(tomcat, caller, stranger)) {
      fleet.awaitIdentity(p, p == tomcat ? TOMCAT : p == caller ? CALLER : STRANGER);
    }
    for (String address : List.of(CALLER, STRANGER)) {
      awaitTrue(address + " to see the Tomcat connector with its identity", Duration.ofSeconds(120), () -> {
        for (JsonNode s : Smoke.getJson("http://" + address + ":15000/config_dump").path("services")) {
          for (JsonNode e : s.path("endpoints")) {
            if (e.path("identity").asText().equals(TD + "tomcat-mtls") && !e.path("ports").isEmpty()) {
              return true;
            }
          }
        }
        return false;
      }, tomcat, controlPlane);
    }
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** A client key store whose certificate claims the caller's SPIFFE ID but comes from a foreign (self-signed) CA. */
  Path foreignClientKeyStore() throws IOException {
    Path ks = Files.createDirectories(tmp.resolve("foreign")).resolve("client.p12");
    Files.deleteIfExists(ks);
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    IdentitySmokeTest.run(List.of(keytool, "-genkeypair", "-keystore", ks.toString(), "-storepass", "changeit", "-alias", "c", "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", "CN=mallory", "-ext", "san=uri:" + TD + "tomcat-caller", "-validity", "2"));
    return ks;
  }

  Proc start(String service, String labels, String address, List<String> command) throws IOException {
    return fleet.start(service, fleet.env(service, labels, address, fleet.tokens.get(service), service), command);
  }

  static JsonNode identity(String address) {
    return MeshIdentityFleet.identity(address);
  }

  /** {@code from}'s JDK HttpClient (or HttpURLConnection) calls {@code url}; the answer as key → value. */
  static Map<String, String> call(String from, String url, String extra) {
    String text = Smoke.get("http://" + from + ":8080/call?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8) + extra);
    return MeshIdentityFleet.fields(text);
  }



  static String xfccOf(String caller) throws Exception {
    return "By=" + TD + "tomcat-mtls;Hash=" + sha256Hex(leafOf(caller)) + ";Subject=\"\";URI=" + TD + (caller.equals(CALLER) ? "tomcat-caller" : "tomcat-stranger");
  }

  /** A raw HTTP/1.1 GET /peer over plain TCP from this JVM; what came back (empty when the connection was closed or reset). */
  static String plainRequest(String extraHeaders) {
    return Smoke.rawGet(TOMCAT, 8080, "tomcat-mtls", "/peer", extraHeaders);
  }

  static final String FORGED = "X-Forwarded-Client-Cert: By=x;Hash=00;Subject=\"\";URI=" + TD + "tomcat-caller\r\n";

  // ---- PERMISSIVE ------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void permissiveServesTheMeshedCallerOverMtlsAndAPlainClientOnOnePort_mutualTlsMigration() throws Exception {
    for (String extra : List.of("", "&async=1", "&huc=1")) {
      Map<String, String> r = call(CALLER, "http://tomcat-mtls/peer", extra);
      assertThat(r.get("status")).as(extra + " " + r.get("raw")).isEqualTo("200");
      // https://istio.io/latest/docs/ops/configuration/traffic-management/network-topologies/ : XFCC as the sidecar sets it
      assertThat(r.get("xfcc")).isEqualTo(xfccOf(CALLER));
      assertThat(r.get("scheme")).as("the application sees plain http, as behind a sidecar").isEqualTo("http");
      assertThat(r.get("listener")).isEqualTo(TOMCAT + ":8080");
    }
    // a client outside the mesh, same port, with an XFCC of its own: served in plain text, the header removed
    String plain = plainRequest(FORGED);
    assertThat(plain).startsWith("HTTP/1.1 200").contains("\nxfcc=\n").doesNotContain("tomcat-caller");
    JsonNode inbound = Smoke.getJson("http://" + TOMCAT + ":15000/stats").path("inbound");
    assertThat(inbound.path("requestsOverMtls").asLong()).as(inbound.toString()).isGreaterThanOrEqualTo(3);
  }

  @Test
  @Order(2)
  void aForgedXfccFromAMeshedCallerNeverReachesTheApplication() throws Exception {
    for (String extra : List.of("&forge=1", "&forge=1&huc=1")) {
      Map<String, String> r = call(CALLER, "http://tomcat-mtls/peer", extra);
      assertThat(r.get("status")).as(r.get("raw")).isEqualTo("200");
      assertThat(r.get("xfcc")).isEqualTo(xfccOf(CALLER)).doesNotContain("forger").doesNotContain("sa/admin");
    }
  }

  /**
   * Spring Boot's Tomcat closes a kept-alive connection after 100 requests
   * ({@code server.tomcat.max-keep-alive-requests}); a connection the mesh terminated is the mesh's,
   * as the proxy-to-proxy connection is behind a sidecar, so the caller keeps its one mTLS connection
   * instead of re-handshaking every 100 calls (issue 11, "Fast": the handshakes were the Spring pair's
   * added CPU). Plain-text connections keep the application's limit.
   */
  @Test
  @Order(2)
  void aMeshConnectionOutlivesTomcatsMaxKeepAliveRequests() {
    JsonNode before = Smoke.getJson("http://" + TOMCAT + ":15000/stats").path("security").path("tls");
    int calls = 210; // without the fix: at least two new connections whatever the pooled one had served
    for (int i = 0; i < calls; i++) {
      Map<String, String> r = call(CALLER, "http://tomcat-mtls/peer", "");
      assertThat(r.get("status")).as("call " + i + ": " + r.get("raw")).isEqualTo("200");
    }
    JsonNode after = Smoke.getJson("http://" + TOMCAT + ":15000/stats").path("security").path("tls");
    long connections = after.path("inboundConnections").asLong() - before.path("inboundConnections").asLong();
    // at most one: the caller's pooled connection may have been opened by this loop
    assertThat(connections).as(calls + " sequential calls from one caller; " + before + " -> " + after).isLessThanOrEqualTo(1);
  }

  @Test
  @Order(3)
  void tomcatPresentsTheWorkloadsMeshCertificateAndRefusesOneWayTlsAndAForeignCa() throws Exception {
    List<X509Certificate> presented = new CopyOnWriteArrayList<>();
    TrustManager[] recordServer = TlsProbe.recordingServer(presented);
    SSLContext withoutCert = SSLContext.getInstance("TLSv1.3");
    withoutCert.init(null, recordServer, null);
    String got = TlsProbe.get(withoutCert, TOMCAT, 8080, "tomcat-mtls", "/peer");
    assertThat(got).as("a client without a certificate is refused").doesNotContain("xfcc=");
    // Tomcat spoke TLS 1.3 with the workload's mesh certificate before it refused the client
    assertThat(presented).as("the server's certificate").hasSize(1);
    assertThat(presented.get(0).getSubjectAlternativeNames().toString()).contains(TD + "tomcat-mtls");
    assertThat(presented.get(0)).isEqualTo(leafOf(TOMCAT));

    // a certificate from a foreign CA, claiming the caller's SPIFFE ID, is refused too
    Path ks = foreignKeyStore.get(60, TimeUnit.SECONDS);
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    SSLContext foreign = SSLContext.getInstance("TLSv1.3");
    foreign.init(kmf.getKeyManagers(), recordServer, null);
    String foreignGot = TlsProbe.get(foreign, TOMCAT, 8080, "tomcat-mtls", "/peer");
    assertThat(foreignGot).as("a client certificate from a foreign CA is refused").doesNotContain("xfcc=");
  }

  // ---- PERMISSIVE → STRICT ----------------------------------------------------------------------------

  @Test
  @Order(4)
  void switchingToStrictClosesPlainKeptAliveConnectionsAndRefusesPlainText_peerAuthenticationStrict() throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(TOMCAT, 8080), 5_000);
      s.setSoTimeout(15_000);
      assertThat(exchangeKeepAlive(s)).startsWith("HTTP/1.1 200").contains("xfcc=");
      Smoke.applyPolicy(policies.resolve("tomcat.yaml"), tomcatMode("STRICT"), List.of(TOMCAT), controlPlane, tomcat);
      assertThat(exchangeKeepAlive(s)).as("the kept-alive plain connection is closed, not served").doesNotContain("xfcc=").doesNotContain("HTTP/1.1");
    }
    assertThat(plainRequest("")).as("raw HTTP from this JVM (no agent)").doesNotContain("HTTP/1.1");
    assertThat(Smoke.status("http://" + TOMCAT + ":8080/peer")).as("the JDK HttpClient of this JVM").isEqualTo(-1);
    Process curl = new ProcessBuilder("curl", "-sS", "-m", "10", "http://" + TOMCAT + ":8080/peer").redirectErrorStream(true).start();
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(curl.exitValue()).as("curl: " + out).isNotZero();
    assertThat(out).doesNotContain("xfcc=");
    // the agent's own ports are never subject to PeerAuthentication
    assertThat(Smoke.status("http://" + TOMCAT + ":15020/healthz/ready")).isEqualTo(200);
    assertThat(Smoke.status("http://" + TOMCAT + ":15000/config_dump")).isEqualTo(200);
    // the meshed caller goes on over mTLS
    for (String extra : List.of("", "&async=1", "&huc=1")) {
      Map<String, String> r = call(CALLER, "http://tomcat-mtls/peer", extra);
      assertThat(r.get("status")).as(extra + " " + r.get("raw")).isEqualTo("200");
      assertThat(r.get("xfcc")).isEqualTo(xfccOf(CALLER));
    }
    Map<String, String> usuario = call(CALLER, "http://tomcat-mtls/usuarios/7", "");
    assertThat(usuario.get("status")).as(usuario.get("raw")).isEqualTo("200");
    assertThat(usuario.get("raw")).contains("\"nombre\":\"Usuario 7\"");
  }

  // ---- AuthorizationPolicy principals -------------------------------------------------------------------

  /**
   * https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source : {@code principals}
   * is the peer identity of mTLS, on Tomcat as on the JDK server; a forged XFCC grants nothing.
   */
  /**
   * {@code portLevelMtls} DISABLE on the workload's port wins over its STRICT mode: Tomcat serves plain
   * text there, and the meshed caller's auto mTLS sends plain text to it
   * (https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#auto-mutual-tls).
   */
  @Test
  @Order(5)
  void portLevelDisableServesPlainTextAndAutoMtlsFollows_portLevelMtls() {
    Smoke.applyPolicy(policies.resolve("tomcat.yaml"), tomcatMode("STRICT") + """
          portLevelMtls:
            8080:
              mode: DISABLE
        """, List.of(TOMCAT, CALLER), controlPlane, tomcat);
    assertThat(plainRequest("")).as("plain text from this JVM").startsWith("HTTP/1.1 200").contains("\nxfcc=\n");
    for (String extra : List.of("", "&huc=1")) {
      Map<String, String> r = call(CALLER, "http://tomcat-mtls/peer", extra);
      assertThat(r.get("status")).as(extra + " " + r.get("raw")).isEqualTo("200");
      assertThat(r.get("xfcc")).as("no mTLS to a DISABLE port: no XFCC").isEmpty();
    }
    // back to STRICT for what follows
    Smoke.applyPolicy(policies.resolve("tomcat.yaml"), tomcatMode("STRICT"), List.of(TOMCAT, CALLER, STRANGER), controlPlane, tomcat);
    assertThat(plainRequest("")).doesNotContain("HTTP/1.1");
  }

  @Shows(feature = "inbound", value = {"tomcat"})
  @Test
  @Order(6)
  void authorizationPrincipalsAllowTheRightCallerAndDenyAnother_sourcePrincipals() throws Exception {
    Smoke.applyPolicy(policies.resolve("authorization.yaml"), """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: tomcat-callers
          namespace: default
        spec:
          selector:
            matchLabels:
              app: tomcat-mtls
          action: ALLOW
          rules:
          - from:
            - source:
                principals: ["cluster.local/ns/default/sa/tomcat-caller"]
        """, List.of(TOMCAT), controlPlane, tomcat);
    for (String extra : List.of("", "&huc=1")) {
      Map<String, String> allowed = call(CALLER, "http://tomcat-mtls/peer", extra);
      assertThat(allowed.get("status")).as(allowed.get("raw")).isEqualTo("200");
      assertThat(allowed.get("xfcc")).isEqualTo(xfccOf(CALLER));
    }
    for (String extra : List.of("", "&huc=1", "&forge=1", "&forge=1&huc=1")) {
      Map<String, String> denied = call(STRANGER, "http://tomcat-mtls/peer", extra);
      assertThat(denied.get("status")).as(extra + " " + denied.get("raw")).isEqualTo("403");
      assertThat(denied.get("raw")).contains("RBAC: access denied").doesNotContain("xfcc=");
    }
  }

  /** One request on a kept-alive connection; the response's head and body, or what came before the connection was closed. */
  static String exchangeKeepAlive(Socket s) {
    try {
      s.getOutputStream().write(("GET /peer HTTP/1.1\r\nHost: tomcat-mtls\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      StringBuilder head = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0) {
        head.append((char) c);
        if (head.toString().endsWith("\r\n\r\n")) {
          break;
        }
      }
      if (c < 0) {
        return head.toString();
      }
      int len = -1;
      boolean chunked = false;
      for (String line : head.toString().split("\r\n")) {
        String l = line.toLowerCase(java.util.Locale.ROOT);
        if (l.startsWith("content-length:")) {
          len = Integer.parseInt(line.substring(15).trim());
        } else if (l.startsWith("transfer-encoding:") && l.contains("chunked")) {
          chunked = true;
        }
      }
      if (!chunked) {
        return head + new String(in.readNBytes(Math.max(len, 0)), StandardCharsets.UTF_8);
      }
      StringBuilder body = new StringBuilder();
      while (true) {
        String size = readLine(in);
        int n = Integer.parseInt(size.trim(), 16);
        if (n == 0) {
          readLine(in);
          return head + body.toString();
        }
        body.append(new String(in.readNBytes(n), StandardCharsets.UTF_8));
        readLine(in);
      }
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  @AfterAll
  void stopAll() {
    fleet.stop();
  }
}
