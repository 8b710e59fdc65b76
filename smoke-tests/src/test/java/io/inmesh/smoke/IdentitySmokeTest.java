package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Workload identity with real JVMs: a control plane issuing certificates over its TLS listener, an
 * unmodified application whose agent was given only a join token and the bootstrap CA. The
 * certificate lives {@value #CERT_TTL} here (the agent renews at half-life, less up to a tenth), so
 * renewals and a root rotation happen while the test watches: the tests wait for renewals, never for
 * a duration, so a short lifetime only makes them come sooner. The restart from the cache runs
 * against certificates of {@value #LONG_CERT_TTL}, a production-like lifetime that a JVM restart on
 * a loaded machine cannot outlast.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class IdentitySmokeTest {
  static final String HOST = "127.0.10.9";
  static final String PLAIN = HOST + ":15010";
  static final String TLS = HOST + ":15012";
  static final String USUARIO_FIRST = "127.0.10.21";
  /** Each JVM its own address: a stopped JVM's ports never race the next one's. */
  static String USUARIO = USUARIO_FIRST;
  static final String ID = "spiffe://cluster.local/ns/default/sa/usuario-service";
  /**
   * Renewals every ~7 s: rotation tests wait for renewals, so a shorter lifetime waits less; each
   * renewal still has half the lifetime (7 s) to complete before the certificate it replaces expires.
   */
  static final String CERT_TTL = "15s";
  static final String LONG_CERT_TTL = "10m";

  final Path tmp = Smoke.workDir("IdentitySmokeTest");
  Path policies;
  Path dataDir;
  Path cache;
  Path logs;
  Proc controlPlane;
  Proc usuario;
  String token;
  final List<Proc> procs = new ArrayList<>();

  @BeforeAll
  void startControlPlane() throws Exception {
    policies = Files.createDirectories(tmp.resolve("policies"));
    dataDir = Files.createDirectories(tmp.resolve("control-data"));
    cache = tmp.resolve("cache-usuario");
    logs = Smoke.LOGS.resolve("identity");
    Smoke.write(policies.resolve("subsets.yaml"), Policies.SUBSETS);
    // the join token (a JVM of its own) is made while the control plane starts, as ApacheMtlsSmokeTest does
    java.util.concurrent.CompletableFuture<String> made = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> run(List.of(Smoke.ROOT.resolve("inmesh").toString(), "token", "create", "--data-dir", dataDir.toString(),
            "--namespace", "default", "--service-account", "usuario-service", "--ttl", "1h")),
        runnable -> new Thread(runnable, "token-create").start());
    controlPlane = startControlPlane("control-plane", CERT_TTL);
    token = made.get(150, TimeUnit.SECONDS);
    assertThat(token.lines()).as("the token alone on stdout").hasSize(1);
    token = token.trim();
  }

  Proc startControlPlane(String name, String certTtl) throws IOException {
    Proc p = Proc.start(name, List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-XX:+UseSerialGC",
        "-jar", Smoke.CONTROL.toString(), "--listen", PLAIN, "--listen-tls", TLS, "--policy-dir", policies.toString(),
        "--data-dir", dataDir.toString(), "--cert-ttl", certTtl, "--heartbeat", "1s", "--ttl", "5s"), Map.of(), logs);
    procs.add(p);
    awaitTrue("control plane healthy", Duration.ofSeconds(120), () -> Smoke.status("http://" + PLAIN + "/healthz") == 200, p);
    return p;
  }

  Proc startUsuario(String name, String controlCa) throws IOException {
    Map<String, String> env = inmeshEnv("usuario-service", "app=usuario-service,version=v1", USUARIO, "https://" + TLS, cache);
    env.put("INMESH_TOKEN", token);
    env.put("INMESH_CONTROL_CA", controlCa);
    env.put("APP_VERSION", "v1");
    Proc p = meshed(name, env, logs, plainApp("PlainUsuarioApp", USUARIO, "8080"));
    procs.add(p);
    return p;
  }

  JsonNode identity() {
    return Smoke.getJson("http://" + USUARIO + ":15000/config_dump").get("identity");
  }

  /** The current certificate's notAfter - notBefore: which control plane's lifetime it got. */
  Duration leafLifetime() {
    try {
      String pem = identity().get("certificateChain").get(0).asText();
      java.security.cert.X509Certificate leaf = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      return Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant());
    } catch (java.security.cert.CertificateException e) {
      throw new AssertionError(e);
    }
  }

  JsonNode agent() {
    for (JsonNode a : Smoke.getJson("http://" + PLAIN + "/v1/agents").get("agents")) {
      if (a.get("service").asText().equals("usuario-service") && USUARIO.equals(a.path("address").asText())) {
        return a;
      }
    }
    return null;
  }

  @Test
  @Order(1)
  void anAgentGivenATokenObtainsItsIdentityOverTheTlsChannel() throws Exception {
    usuario = startUsuario("usuario", dataDir.resolve("ca/roots.pem").toString());
    assertThat(usuario.awaitOutput("identity=ns/default/sa/usuario-service", Duration.ofSeconds(120))).as(usuario.tail(20)).isTrue();
    // bounded generously: on a loaded machine an agent-attached JVM can take a minute to start
    awaitTrue("usuario ready", Duration.ofSeconds(180), () -> Smoke.status("http://" + USUARIO + ":15020/healthz/ready") == 200, usuario);
    awaitTrue("usuario's identity in /v1/agents", Duration.ofSeconds(90),
        () -> agent() != null && ID.equals(agent().path("identity").asText()) && !agent().path("certificateExpires").isNull(), controlPlane, usuario);

    JsonNode id = identity();
    assertThat(id.get("identity").asText()).isEqualTo(ID);
    assertThat(id.get("ready").asBoolean()).isTrue();
    assertThat(id.get("certificateChain").size()).isGreaterThanOrEqualTo(1);
    String dump = Smoke.get("http://" + USUARIO + ":15000/config_dump");
    assertThat(dump).doesNotContain("PRIVATE KEY");
    // the key and certificate are cached owner-only, in an owner-only directory
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache.resolve("identity.pem")))).isEqualTo("rw-------");
  }

  @Test
  @Order(2)
  void certificatesRotateAtHalfLifeAndNothingFails() {
    int before = identity().get("renewals").asInt();
    String firstExpiry = identity().get("expires").asText();
    awaitTrue("two renewals", Duration.ofSeconds(180), () -> {
      // throughout, the agent stays registered and ready
      assertThat(Smoke.status("http://" + USUARIO + ":15020/healthz/ready")).isEqualTo(200);
      assertThat(agent()).isNotNull();
      return identity().get("renewals").asInt() >= before + 2;
    }, controlPlane, usuario);
    assertThat(identity().get("expires").asText()).isNotEqualTo(firstExpiry);
    assertThat(controlPlane.output()).contains("ca: signed " + ID).contains("(proved by certificate)");
    assertThat(controlPlane.output()).doesNotContain("refused");
  }

  @Test
  @Order(3)
  void agentsKeepWorkingAcrossARootRotation() {
    String out = run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", Smoke.CONTROL.toString(),
        "ca", "rotate", "--data-dir", dataDir.toString()));
    assertThat(out).contains("signs from now on");
    awaitTrue("the agent to learn both roots and renew from the new one", Duration.ofSeconds(90),
        () -> identity().get("roots").size() == 2 && identity().get("certificateChain").size() == 2, controlPlane, usuario);
    int renewals = identity().get("renewals").asInt();
    awaitTrue("a renewal over the rotated channel", Duration.ofSeconds(90),
        () -> identity().get("renewals").asInt() > renewals, controlPlane, usuario);
    assertThat(Smoke.status("http://" + USUARIO + ":15020/healthz/ready")).isEqualTo(200);
    assertThat(agent()).isNotNull();
  }

  @Test
  @Order(4)
  void anAgentRestartedWithTheControlPlaneDownKeepsItsCachedIdentity() throws Exception {
    // the control plane again, on the same CA, now issuing production-like lifetimes; kill it right
    // after the agent renewed from it, so the cached certificate has most of its lifetime left
    // whatever a restart costs on a loaded machine
    int renewals = identity().get("renewals").asInt();
    controlPlane.kill();
    controlPlane = startControlPlane("control-plane-long-ttl", LONG_CERT_TTL);
    awaitTrue("a renewal from it", Duration.ofSeconds(90),
        () -> identity().get("renewals").asInt() > renewals && leafLifetime().compareTo(Duration.ofMinutes(5)) > 0, controlPlane, usuario);
    String expires = identity().get("expires").asText();
    controlPlane.kill();
    usuario.stop();
    USUARIO = "127.0.10.22";
    usuario = startUsuario("usuario-restarted", dataDir.resolve("ca/roots.pem").toString());
    assertThat(usuario.awaitOutput("identity " + ID + " from the cache", Duration.ofSeconds(120))).as(usuario.tail(20)).isTrue();
    awaitTrue("admin port", Duration.ofSeconds(120), () -> Smoke.status("http://" + USUARIO + ":15000/config_dump") == 200, usuario);
    JsonNode id = identity();
    assertThat(id.get("ready").asBoolean()).isTrue();
    assertThat(id.get("source").asText()).isEqualTo("cache");
    assertThat(id.get("expires").asText()).isEqualTo(expires);
    usuario.stop();
  }

  @Test
  @Order(5)
  void theAgentRefusesAControlPlaneThatDoesNotChainToItsCa() throws Exception {
    Path foreign = tmp.resolve("foreign");
    Files.createDirectories(foreign);
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    // the foreign CA is made (two keytool JVMs) while the control plane starts
    java.util.concurrent.CompletableFuture<Void> foreignCa = java.util.concurrent.CompletableFuture.runAsync(() -> {
      run(List.of(keytool, "-genkeypair", "-keystore", foreign.resolve("ks.p12").toString(), "-storepass", "changeit", "-alias", "ca",
          "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=someone else's CA", "-ext", "bc:c", "-validity", "2"));
      run(List.of(keytool, "-exportcert", "-rfc", "-keystore", foreign.resolve("ks.p12").toString(), "-storepass", "changeit", "-alias", "ca",
          "-file", foreign.resolve("ca.pem").toString()));
    }, runnable -> new Thread(runnable, "foreign-ca").start());
    controlPlane = startControlPlane("control-plane-again", CERT_TTL);
    foreignCa.get(150, TimeUnit.SECONDS);
    Files.deleteIfExists(cache.resolve("identity.pem")); // nothing cached: it must reach the control plane
    USUARIO = "127.0.10.23";
    usuario = startUsuario("usuario-foreign-ca", foreign.resolve("ca.pem").toString());
    assertThat(usuario.awaitOutput("PKIX", Duration.ofSeconds(120))).as(usuario.tail(30)).isTrue();
    awaitTrue("admin port", Duration.ofSeconds(120), () -> Smoke.status("http://" + USUARIO + ":15000/config_dump") == 200, usuario);
    assertThat(identity().get("ready").asBoolean()).isFalse();
    assertThat(agent()).as("it never registered with a control plane it could not verify").isNull();
  }

  /**
   * Issue 10, part 4: security fails closed. A workload given a join token that cannot be honoured
   * (revoked before its first certificate) never gets an identity: after INMESH_STARTUP_WAIT its
   * mesh calls answer 503 (flag UF) and never go out in plain text. The same caller with a valid
   * token reaches the same service, so the 503 is the identity's doing.
   */
  @Test
  @Order(6)
  void aWorkloadThatNeedsAnIdentityAndHasNoneGets503NotPlainText() throws Exception {
    Files.deleteIfExists(cache.resolve("identity.pem"));
    USUARIO = "127.0.10.24";
    usuario = startUsuario("usuario-for-callers", dataDir.resolve("ca/roots.pem").toString());
    // the callers' tokens (a JVM each; the token key exists since @BeforeAll, so both at once) are
    // made and one revoked while usuario starts
    java.util.concurrent.ExecutorService tokenMakers = java.util.concurrent.Executors.newFixedThreadPool(2);
    String good;
    String revoked;
    try {
      java.util.concurrent.Future<String> goodToken = tokenMakers.submit(this::pedidoToken);
      java.util.concurrent.Future<String> revokedToken = tokenMakers.submit(this::pedidoToken);
      good = goodToken.get(150, TimeUnit.SECONDS);
      revoked = revokedToken.get(150, TimeUnit.SECONDS);
    } finally {
      tokenMakers.shutdown();
    }
    run(List.of(Smoke.ROOT.resolve("inmesh").toString(), "token", "revoke", "--data-dir", dataDir.toString(), revoked));
    awaitTrue("usuario ready", Duration.ofSeconds(180), () -> Smoke.status("http://" + USUARIO + ":15020/healthz/ready") == 200, usuario);
    awaitTrue("usuario registered", Duration.ofSeconds(90), () -> agent() != null, controlPlane, usuario);

    Proc withIdentity = startPedido("pedido-with-identity", "127.0.10.25", good);
    Proc without = startPedido("pedido-revoked-token", "127.0.10.26", revoked);
    awaitTrue("pedido with a valid token ready", Duration.ofSeconds(180),
        () -> Smoke.status("http://127.0.10.25:15020/healthz/ready") == 200, withIdentity);
    awaitTrue("pedido with a valid token holds its identity", Duration.ofSeconds(90),
        () -> Smoke.getJson("http://127.0.10.25:15000/config_dump").path("identity").path("ready").asBoolean(), withIdentity, controlPlane);
    JsonNode ok = callUsuario("127.0.10.25", withIdentity);
    assertThat(ok.path("last").path("status").asText()).as(ok.toString()).isEqualTo("200");

    awaitTrue("the revoked token refused", Duration.ofSeconds(120),
        () -> Smoke.status("http://127.0.10.26:15000/config_dump") == 200, without);
    JsonNode denied = callUsuario("127.0.10.26", without);
    assertThat(denied.path("last").path("status").asText()).as(denied.toString()).isEqualTo("503");
    assertThat(denied.path("last").path("body").asText()).contains("no workload certificate yet");
    JsonNode stats = Smoke.getJson("http://127.0.10.26:15000/stats");
    assertThat(stats.toString()).as("counted as identity denials").containsPattern("\"identityDenials\":[1-9]");
    assertThat(Smoke.getJson("http://127.0.10.26:15000/config_dump").path("identity").path("ready").asBoolean()).isFalse();
    withIdentity.stop();
    without.stop();
  }

  String pedidoToken() {
    return run(List.of(Smoke.ROOT.resolve("inmesh").toString(), "token", "create", "--data-dir", dataDir.toString(),
        "--namespace", "default", "--service-account", "pedido-service", "--ttl", "1h")).trim();
  }

  Proc startPedido(String name, String address, String token) throws IOException {
    Map<String, String> env = inmeshEnv("pedido-service", "app=pedido-service", address, "https://" + TLS, tmp.resolve("cache-" + name));
    env.put("INMESH_TOKEN", token);
    env.put("INMESH_CONTROL_CA", dataDir.resolve("ca/roots.pem").toString());
    env.put("INMESH_STARTUP_WAIT", "3s");
    Proc p = meshed(name, env, logs, plainApp("PlainPedidoApp", address, "8080"));
    procs.add(p);
    return p;
  }

  /** Two calls, so the second is past the start-up wait whatever the first met. */
  static JsonNode callUsuario(String pedido, Proc p) {
    String url = "http://" + pedido + ":8080/call?client=jdk&n=2&url=" + java.net.URLEncoder.encode("http://usuario-service/usuarios/1", StandardCharsets.UTF_8);
    awaitTrue("pedido at " + pedido + " answering", Duration.ofSeconds(120),
        () -> Smoke.status("http://" + pedido + ":8080/call?n=0&url=x") == 200, p);
    return Smoke.getJson(url);
  }

  static String run(List<String> command) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(Smoke.ROOT.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(command + "\n" + out).isZero();
      return out;
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @AfterAll
  void stopAll() {
    Proc.stopAll(procs);
  }
}
