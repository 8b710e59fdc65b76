package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.MeshIdentityFleet.leafOf;
import static io.inmesh.smoke.MeshIdentityFleet.sha256Hex;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
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
 * Mutual TLS between meshed JVMs, in-process on both sides (issue 11), following Istio's pages:
 * PeerAuthentication (https://istio.io/latest/docs/reference/config/security/peer_authentication/),
 * the "Mutual TLS Migration" task (https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/:
 * a mesh-wide STRICT policy in the root namespace, workloads left PERMISSIVE by a selector) and auto
 * mTLS (https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#auto-mutual-tls).
 *
 * <p>One fleet: a control plane with a CA ({@code --data-dir}) and join tokens; unmodified JDK
 * HttpServer backends (STRICT by the mesh-wide policy; PERMISSIVE by a workload policy, with one port
 * DISABLE by its {@code portLevelMtls});
 * an unmodified JDK HttpClient caller whose URLs stay {@code http://}. The test JVM (no agent) and
 * {@code curl} play the clients outside the mesh.
 */
@Shows(feature = "mtls", value = {"jdk", "huc", "jdk-server"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class MtlsSmokeTest {
  static final String CONTROL = "127.0.25.1:15010";
  static final String CALLER = "127.0.25.10";
  static final String STRICT = "127.0.25.11";
  /** mtls-multi: port 8080 PERMISSIVE, port 8081 DISABLE (portLevelMtls). */
  static final String MULTI = "127.0.25.12";
  static final String NON_MESH = "127.0.25.20";
  static final String TD = "spiffe://cluster.local/ns/default/sa/";

  static final String POLICIES = """
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
      # a workload policy wins over the mesh's: the caller takes plain text from the test
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: caller
        namespace: default
      spec:
        selector:
          matchLabels:
            app: mtls-caller
        mtls:
          mode: PERMISSIVE
      ---
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: multi
        namespace: default
      spec:
        selector:
          matchLabels:
            app: mtls-multi
        mtls:
          mode: PERMISSIVE
        portLevelMtls:
          8081:
            mode: DISABLE
      ---
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: impostor
        namespace: default
      spec:
        selector:
          matchLabels:
            app: mtls-impostor
        mtls:
          mode: PERMISSIVE
      """;

  final Path tmp = Smoke.workDir("MtlsSmokeTest");
  final Path logs = Smoke.LOGS.resolve("mtls");
  final MeshIdentityFleet fleet = new MeshIdentityFleet(tmp, logs, CONTROL);
  final Path policies = fleet.policies;
  final Path dataDir = fleet.dataDir;
  Proc controlPlane;
  Proc caller;
  /** STRICT, and later the victim: it dies and an impostor takes its address. */
  Proc strict;
  final AtomicInteger nonMeshServed = fleet.nonMeshServed;

  @BeforeAll
  void startFleet() throws Exception {
    Smoke.write(policies.resolve("peer-authentication.yaml"), POLICIES);
    // a long registry expiry: a dead workload's registration outlives it, as a stale endpoint would
    controlPlane = fleet.startControlPlaneWithTokens("mtls-caller", "mtls-strict", "mtls-multi", "mtls-impostor");

    caller = start("mtls-caller", CALLER, "MtlsCallerApp", "8080");
    strict = start("mtls-strict", STRICT, "EchoBackendApp", "8080");
    Proc multi = start("mtls-multi", MULTI, "EchoBackendApp", "8080", "8081");
    for (Proc p : List.of(caller, strict, multi)) {
      fleet.awaitIdentity(p, p == caller ? CALLER : p == strict ? STRICT : MULTI);
    }
    awaitTrue("the caller to see every backend with its identity", Duration.ofSeconds(60), () -> {
      JsonNode dump = Smoke.getJson("http://" + CALLER + ":15000/config_dump");
      int withIdentity = 0;
      for (JsonNode s : dump.path("services")) {
        for (JsonNode e : s.path("endpoints")) {
          if (e.path("identity").asText().startsWith(TD) && !e.path("ports").isEmpty()) {
            withIdentity++;
          }
        }
      }
      return withIdentity >= 3;
    }, caller, controlPlane);

    // the non-mesh host answers "xfcc=<the X-Forwarded-Client-Cert it received>"
    fleet.startNonMesh(NON_MESH, "");
  }

  Proc start(String service, String address, String app, String... ports) throws IOException {
    List<String> args = new ArrayList<>(List.of(address));
    args.addAll(List.of(ports));
    return fleet.start(service, fleet.env(service, address), plainApp("mtls." + app, args.toArray(new String[0])));
  }

  static JsonNode identity(String address) {
    return MeshIdentityFleet.identity(address);
  }

  /** The caller's JDK HttpClient calls {@code url}; the answer as key → value. */
  static Map<String, String> call(String url, String extra) {
    String text = Smoke.get("http://" + CALLER + ":8080/call?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8) + extra);
    return MeshIdentityFleet.fields(text);
  }



  /** A raw HTTP/1.1 request over plain TCP; what came back (empty when the server closed or reset the connection). */
  static String plainRequest(String address, int port, String extraHeaders) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 5_000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + address + "\r\n" + extraHeaders + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  // ---- STRICT --------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void meshedCallsToAStrictWorkloadGoOverMtlsWithTheVerifiedXfcc_autoMtls() throws Exception {
    for (String extra : List.of("", "&async=1", "&huc=1")) {
      Map<String, String> r = call("http://mtls-strict/hello", extra);
      assertThat(r.get("status")).as(r.get("raw")).isEqualTo("200");
      assertThat(r.get("service")).isEqualTo("mtls-strict");
      // https://istio.io/latest/docs/ops/configuration/traffic-management/network-topologies/ : XFCC as the sidecar sets it
      String xfcc = r.get("xfcc");
      assertThat(xfcc).isEqualTo("By=" + TD + "mtls-strict;Hash=" + sha256Hex(leafOf(CALLER)) + ";Subject=\"\";URI=" + TD + "mtls-caller");
    }
    JsonNode inbound = Smoke.getJson("http://" + STRICT + ":15000/stats").path("inbound");
    assertThat(inbound.path("requestsOverMtls").asLong()).as(inbound.toString()).isGreaterThanOrEqualTo(3);
  }

  @Test
  @Order(2)
  void aForgedXfccNeverReachesTheApplication() throws Exception {
    for (String extra : List.of("&forge=1", "&forge=1&huc=1")) {
      Map<String, String> r = call("http://mtls-strict/forged", extra);
      assertThat(r.get("status")).as(r.get("raw")).isEqualTo("200");
      assertThat(r.get("xfcc")).doesNotContain("forger").doesNotContain("sa/admin").endsWith("URI=" + TD + "mtls-caller");
    }
    // in plain text (PERMISSIVE), a client's own XFCC is removed and none is set
    String plain = plainRequest(MULTI, 8080, "X-Forwarded-Client-Cert: By=x;URI=" + TD + "admin\r\n");
    assertThat(plain).startsWith("HTTP/1.1 200").contains("service=mtls-multi").contains("\nxfcc=\n");
  }

  @Test
  @Order(3)
  void strictRefusesPlainTextFromAJvmWithoutTheAgentAndFromCurl_peerAuthenticationStrict() throws Exception {
    assertThat(plainRequest(STRICT, 8080, "")).as("raw HTTP from this JVM (no agent)").doesNotContain("HTTP/1.1").doesNotContain("service=");
    int jdkStatus = Smoke.status("http://" + STRICT + ":8080/");
    assertThat(jdkStatus).as("the JDK HttpClient of this JVM").isEqualTo(-1);
    Process curl = new ProcessBuilder("curl", "-sS", "-m", "10", "http://" + STRICT + ":8080/").redirectErrorStream(true).start();
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(curl.exitValue()).as("curl: " + out).isNotZero();
    assertThat(out).doesNotContain("service=");
    // the agent's own ports are never subject to PeerAuthentication
    assertThat(Smoke.status("http://" + STRICT + ":15020/healthz/ready")).isEqualTo(200);
    assertThat(Smoke.status("http://" + STRICT + ":15000/config_dump")).isEqualTo(200);
  }

  @Test
  @Order(4)
  void strictRefusesAClientCertificateFromAForeignCaAndOneWayTls() throws Exception {
    Path foreign = Files.createDirectories(tmp.resolve("foreign"));
    Path ks = foreign.resolve("client.p12");
    Files.deleteIfExists(ks);
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    IdentitySmokeTest.run(List.of(keytool, "-genkeypair", "-keystore", ks.toString(), "-storepass", "changeit", "-alias", "c", "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", "CN=mallory", "-ext", "san=uri:" + TD + "mtls-caller", "-validity", "2"));
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    TrustManager[] trustAll = {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }};
    SSLContext withForeignCert = SSLContext.getInstance("TLS");
    withForeignCert.init(kmf.getKeyManagers(), trustAll, null);
    SSLContext withoutCert = SSLContext.getInstance("TLS");
    withoutCert.init(null, trustAll, null);
    for (SSLContext c : List.of(withForeignCert, withoutCert)) {
      String got = tlsRequest(c, STRICT, 8080);
      assertThat(got).as("the server speaks TLS but refuses this client").doesNotContain("service=");
    }
    // the STRICT port does speak TLS: the server's certificate is the mesh identity of mtls-strict
    try (SSLSocket s = (SSLSocket) withoutCert.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress(STRICT, 8080), 5_000);
      s.setSoTimeout(10_000);
      s.startHandshake();
      X509Certificate server = (X509Certificate) s.getSession().getPeerCertificates()[0];
      assertThat(server.getSubjectAlternativeNames().toString()).contains(TD + "mtls-strict");
      assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
    } catch (IOException refusedDuringHandshake) {
      // TLS 1.2 would refuse here; with 1.3 the client finishes first and is refused after
    }
  }

  /**
   * An expired certificate is refused even though the mesh's own CA signed it for a real identity
   * (https://istio.io/latest/docs/concepts/security/#mutual-tls-authentication: the peer's
   * certificate must be valid). The same CA key signing a current certificate for the same identity
   * is served, so the refusal is the expiry, not the signature.
   */
  @Test
  @Order(4)
  void strictRefusesAnExpiredCertificateFromTheMeshCa() throws Exception {
    X509Certificate caCert = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dataDir.resolve("ca").resolve("cert.pem"))));
    String keyPem = Files.readString(dataDir.resolve("ca").resolve("key.pem"));
    byte[] der = java.util.Base64.getMimeDecoder().decode(keyPem.replaceAll("-----[A-Z ]+-----", ""));
    java.security.PrivateKey caKey = java.security.KeyFactory.getInstance("EC").generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
    java.time.Instant now = java.time.Instant.now();
    SSLContext expired = meshSigned(caCert, caKey, now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)));
    SSLContext current = meshSigned(caCert, caKey, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofHours(1)));
    assertThat(tlsRequest(current, STRICT, 8080)).as("a current certificate from the mesh CA is served").contains("service=");
    assertThat(tlsRequest(expired, STRICT, 8080)).as("an expired one is refused").doesNotContain("service=");
  }

  /** A client context whose certificate the mesh CA signed for mtls-caller's SPIFFE ID, valid between {@code from} and {@code to}. */
  static SSLContext meshSigned(X509Certificate caCert, java.security.PrivateKey caKey, java.time.Instant from, java.time.Instant to) throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    java.security.KeyPair k = g.generateKeyPair();
    var b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(caCert, java.math.BigInteger.valueOf(System.nanoTime()),
        java.util.Date.from(from), java.util.Date.from(to), new org.bouncycastle.asn1.x500.X500Name("O=cluster.local"), k.getPublic());
    b.addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, true, new org.bouncycastle.asn1.x509.GeneralNames(
        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.uniformResourceIdentifier, TD + "mtls-caller")));
    b.addExtension(org.bouncycastle.asn1.x509.Extension.keyUsage, true,
        new org.bouncycastle.asn1.x509.KeyUsage(org.bouncycastle.asn1.x509.KeyUsage.digitalSignature | org.bouncycastle.asn1.x509.KeyUsage.keyEncipherment));
    b.addExtension(org.bouncycastle.asn1.x509.Extension.extendedKeyUsage, false, new org.bouncycastle.asn1.x509.ExtendedKeyUsage(
        new org.bouncycastle.asn1.x509.KeyPurposeId[] {org.bouncycastle.asn1.x509.KeyPurposeId.id_kp_clientAuth, org.bouncycastle.asn1.x509.KeyPurposeId.id_kp_serverAuth}));
    X509Certificate leaf = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
        .getCertificate(b.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("c", k.getPrivate(), "changeit".toCharArray(), new java.security.cert.Certificate[] {leaf, caCert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    TrustManager[] trustAll = {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }};
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(kmf.getKeyManagers(), trustAll, null);
    return c;
  }

  static String tlsRequest(SSLContext c, String address, int port) {
    try (SSLSocket s = (SSLSocket) c.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress(address, port), 5_000);
      s.setSoTimeout(10_000);
      s.startHandshake();
      s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "refused: " + e;
    }
  }

  // ---- PERMISSIVE / DISABLE / non-mesh -------------------------------------------------------------

  @Test
  @Order(5)
  void permissiveServesMtlsAndPlainTextOnOnePort_mutualTlsMigration() throws Exception {
    Map<String, String> meshed = call("http://mtls-multi:8080/", "");
    assertThat(meshed.get("status")).as(meshed.get("raw")).isEqualTo("200");
    assertThat(meshed.get("xfcc")).as("the meshed caller came over mTLS").endsWith("URI=" + TD + "mtls-caller");
    String plain = plainRequest(MULTI, 8080, "");
    assertThat(plain).as("a client outside the mesh, same port").startsWith("HTTP/1.1 200").contains("service=mtls-multi").contains("\nxfcc=\n");
    assertThat(meshed.get("listener")).isEqualTo(MULTI + ":8080");
  }

  @Test
  @Order(6)
  void autoMtlsSendsPlainTextToADisablePortAndToANonMeshHost_autoMutualTls_portLevelMtls() {
    long overMtls = Smoke.getJson("http://" + MULTI + ":15000/stats").path("inbound").path("requestsOverMtls").asLong();
    for (String extra : List.of("", "&huc=1")) {
      Map<String, String> disabled = call("http://mtls-multi:8081/", extra);
      assertThat(disabled.get("status")).as(disabled.get("raw")).isEqualTo("200");
      assertThat(disabled.get("listener")).isEqualTo(MULTI + ":8081");
      assertThat(disabled.get("xfcc")).as("no mTLS: no XFCC").isEmpty();
    }
    assertThat(plainRequest(MULTI, 8081, "")).as("DISABLE serves plain text").contains("service=mtls-multi");
    assertThat(Smoke.getJson("http://" + MULTI + ":15000/stats").path("inbound").path("requestsOverMtls").asLong())
        .as("none of those came over mTLS").isEqualTo(overMtls);

    int before = nonMeshServed.get();
    Map<String, String> external = call("http://" + NON_MESH + ":8080/", "");
    assertThat(external.get("status")).as(external.get("raw")).isEqualTo("200");
    assertThat(external.get("xfcc")).isEqualTo("null");
    assertThat(nonMeshServed.get()).as("this JVM's plain HttpServer parsed it: plain text").isEqualTo(before + 1);
    JsonNode security = Smoke.getJson("http://" + CALLER + ":15000/stats").path("security");
    assertThat(security.path("upstreamAttemptsPlain").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(security.path("upstreamAttemptsMtls").asLong()).isGreaterThanOrEqualTo(1);
  }

  // ---- secure naming --------------------------------------------------------------------------------

  // ---- DestinationRule tls -----------------------------------------------------------------------

  static String destinationRule(String tls) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: multi
          namespace: default
        spec:
          host: mtls-multi
          trafficPolicy:
            tls:
        """ + tls.indent(6);
  }

  /** https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings-TLSmode */
  @Test
  @Order(7)
  void destinationRuleTlsModesOverrideAutoMtls_clientTlsSettings() {
    Path dr = policies.resolve("destination-rule.yaml");
    Smoke.applyPolicy(dr, destinationRule("mode: DISABLE"), List.of(CALLER), controlPlane);
    for (String extra : List.of("", "&huc=1")) {
      Map<String, String> plain = call("http://mtls-multi:8080/", extra);
      assertThat(plain.get("status")).as(plain.get("raw")).isEqualTo("200");
      assertThat(plain.get("xfcc")).as("DISABLE: plain text to a PERMISSIVE port").isEmpty();
    }
    Smoke.applyPolicy(dr, destinationRule("mode: ISTIO_MUTUAL\nsubjectAltNames: [\"" + TD + "someone-else\"]"), List.of(CALLER), controlPlane);
    for (String extra : List.of("", "&huc=1")) {
      Map<String, String> refused = call("http://mtls-multi:8080/", extra);
      assertThat(refused.get("status")).as("the server is not the identity the rule names: " + refused.get("raw")).isEqualTo("503");
      assertThat(refused.get("reason")).isEqualTo("UF");
    }
    Smoke.applyPolicy(dr, destinationRule("mode: ISTIO_MUTUAL"), List.of(CALLER), controlPlane);
    for (String extra : List.of("", "&huc=1")) {
      Map<String, String> mtls = call("http://mtls-multi:8080/", extra);
      assertThat(mtls.get("status")).as(mtls.get("raw")).isEqualTo("200");
      assertThat(mtls.get("xfcc")).endsWith("URI=" + TD + "mtls-caller");
    }
  }

  @Test
  @Order(8)
  void aClientRefusesAServerPresentingAnotherServicesSpiffeId_secureNaming() throws Exception {
    Map<String, String> ok = call("http://mtls-strict/", "");
    assertThat(ok.get("status")).as(ok.get("raw")).isEqualTo("200");
    assertThat(ok.get("service")).isEqualTo("mtls-strict");
    // mtls-strict dies without deregistering; another workload takes its address and port
    strict.kill();
    Proc impostor = start("mtls-impostor", STRICT, "EchoBackendApp", "8080");
    Smoke.awaitReady(impostor, STRICT);
    awaitTrue("impostor identity", Duration.ofSeconds(60), () -> identity(STRICT).path("ready").asBoolean(), impostor);
    // the agent's readiness says nothing of the application's own listener: wait until it has bound
    awaitTrue("impostor listening", Duration.ofSeconds(60), () -> impostor.output().contains("listening on /" + STRICT + ":8080"), impostor);
    assertThat(plainRequest(STRICT, 8080, "")).as("the impostor serves (PERMISSIVE)").contains("service=mtls-impostor");
    for (String extra : List.of("", "&async=1", "&huc=1")) {
      Map<String, String> refused = call("http://mtls-strict/", extra);
      assertThat(refused.get("status")).as(extra + " " + refused.get("raw")).isEqualTo("503");
      assertThat(refused.get("reason")).isEqualTo("UF");
    }
    // never retried in plain text: the impostor served only the test's own plain request
    assertThat(Smoke.get("http://" + STRICT + ":8080/count")).contains("served=1");
    assertThat(impostor.output()).doesNotContain("Exception");
  }

  // ---- PERMISSIVE → STRICT ---------------------------------------------------------------------------

  @Test
  @Order(9)
  void switchingPermissiveToStrictClosesPlainKeptAliveConnections() throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(MULTI, 8080), 5_000);
      s.setSoTimeout(10_000);
      String first = exchangeKeepAlive(s);
      assertThat(first).startsWith("HTTP/1.1 200");
      String strictNow = POLICIES.replace("app: mtls-multi\n  mtls:\n    mode: PERMISSIVE", "app: mtls-multi\n  mtls:\n    mode: STRICT");
      assertThat(strictNow).isNotEqualTo(POLICIES);
      Smoke.applyPolicy(policies.resolve("peer-authentication.yaml"), strictNow, List.of(MULTI), controlPlane);
      String second = exchangeKeepAlive(s);
      assertThat(second).as("the kept-alive plain connection is closed, not served").doesNotContain("service=");
    }
    assertThat(plainRequest(MULTI, 8080, "")).doesNotContain("HTTP/1.1");
    assertThat(plainRequest(MULTI, 8081, "")).as("portLevelMtls DISABLE still applies").contains("service=mtls-multi");
    Map<String, String> meshed = call("http://mtls-multi:8080/", "");
    assertThat(meshed.get("status")).as(meshed.get("raw")).isEqualTo("200");
  }

  static String allowOnly(String serviceAccount) {
    return """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: multi-callers
          namespace: default
        spec:
          selector:
            matchLabels:
              app: mtls-multi
          action: ALLOW
          rules:
          - from:
            - source:
                principals: ["cluster.local/ns/default/sa/%s"]
        """.formatted(serviceAccount);
  }

  /**
   * https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source : {@code principals}
   * is the peer identity of mTLS; a forged XFCC claiming an allowed identity grants nothing.
   */
  @Test
  @Order(10)
  void authorizationSeesThePeerIdentityOfTheTlsSessionNeverAHeader_sourcePrincipals() {
    Path ap = policies.resolve("authorization.yaml");
    Smoke.applyPolicy(ap, allowOnly("admin"), List.of(MULTI), controlPlane);
    for (String extra : List.of("", "&forge=1", "&huc=1&forge=1")) {
      Map<String, String> denied = call("http://mtls-multi:8080/", extra);
      assertThat(denied.get("status")).as(extra + " " + denied.get("raw")).isEqualTo("403");
      assertThat(denied.get("raw")).contains("RBAC: access denied");
    }
    Smoke.applyPolicy(ap, allowOnly("mtls-caller"), List.of(MULTI), controlPlane);
    Map<String, String> allowed = call("http://mtls-multi:8080/", "");
    assertThat(allowed.get("status")).as(allowed.get("raw")).isEqualTo("200");
    assertThat(allowed.get("xfcc")).endsWith("URI=" + TD + "mtls-caller");
  }

  /** One request on a kept-alive connection; the response's head and body, or empty when the connection was closed. */
  static String exchangeKeepAlive(Socket s) {
    try {
      s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
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
      int len = 0;
      for (String line : head.toString().split("\r\n")) {
        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
          len = Integer.parseInt(line.substring(15).trim());
        }
      }
      return head + new String(in.readNBytes(len), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  @AfterAll
  void stopAll() {
    fleet.stop();
  }
}
