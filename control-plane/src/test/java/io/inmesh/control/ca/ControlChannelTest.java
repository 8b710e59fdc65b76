package io.inmesh.control.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inmesh.policy.identity.CertificateRequest;
import io.inmesh.policy.identity.SpiffeId;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control channel: TLS with a serving certificate from the mesh CA, registrations bound to the
 * identity that made them, policy writes behind the admin credential, and root rotation with both
 * roots trusted during the overlap.
 */
class ControlChannelTest {

  static final SpiffeId PEDIDO = WorkloadIdentityTest.PEDIDO;
  static final SpiffeId USUARIO = WorkloadIdentityTest.USUARIO;

  @TempDir Path tmp;
  IdentityPlane cp;

  @BeforeEach
  void start() throws Exception {
    cp = new IdentityPlane(tmp.resolve("policies"), tmp.resolve("data"), Duration.ofHours(1), "cluster.local");
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  record Workload(KeyPair keys, List<X509Certificate> chain, List<X509Certificate> roots) {}

  Workload enroll(SpiffeId id) throws Exception {
    KeyPair keys = CertificateRequest.newKeyPair();
    HttpResponse<String> r = cp.sign(cp.token(id.namespace(), id.serviceAccount(), "1h"), CertificateRequest.pem(keys, id));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Map<String, Object> a = IdentityPlane.json(r);
    return new Workload(keys, IdentityPlane.certs(a, "chain"), IdentityPlane.certs(a, "roots"));
  }

  static String registration(String agent, SpiffeId id, String serviceAccount) {
    return """
        {"agent":"%s","service":"%s","namespace":"%s","labels":{},"address":"127.0.0.21","ports":[8080],"serviceAccount":"%s"}
        """.formatted(agent, id.serviceAccount(), id.namespace(), serviceAccount);
  }

  @Test
  void overTlsAnAgentRegistersWithItsCertificateAndTheRegistryShowsTheIdentity() throws Exception {
    Workload pedido = enroll(PEDIDO);
    HttpClient tls = IdentityPlane.tlsClient(pedido.roots(), pedido.keys(), pedido.chain());
    HttpResponse<String> r = cp.postTls(tls, "/v1/register", null, registration("pedido-1", PEDIDO, "pedido-service"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    HttpResponse<String> agents = cp.get("/v1/agents");
    assertThat(agents.body()).contains("\"identity\" : \"" + PEDIDO.uri() + "\"");
    assertThat(agents.body()).contains("\"certificateExpires\" : \"" + pedido.chain().get(0).getNotAfter().toInstant() + "\"");
    assertThat(cp.postTls(tls, "/v1/heartbeat", null, "{\"agent\":\"pedido-1\"}").statusCode()).isEqualTo(200);
  }

  @Test
  void aHeldPollOverTlsEndsUnchanged() throws Exception {
    Workload pedido = enroll(PEDIDO);
    HttpClient tls = IdentityPlane.tlsClient(pedido.roots(), pedido.keys(), pedido.chain());
    assertThat(cp.postTls(tls, "/v1/register", null, registration("pedido-1", PEDIDO, "pedido-service")).statusCode()).isEqualTo(200);
    String version = (String) IdentityPlane.json(cp.get("/v1/snapshot")).get("version");
    HttpResponse<String> held = IdentityPlane.send(tls, cp.plane.tlsUri(), "/v1/snapshot?agent=pedido-1&version=" + version + "&wait=1s", null, null);
    assertThat(held.statusCode()).isEqualTo(304);

    // the agent's own client, the same way
    javax.net.ssl.SSLSocketFactory factory = IdentityPlane.tlsContext(pedido.roots(), pedido.keys(), pedido.chain()).getSocketFactory();
    io.inmesh.policy.control.ChannelCredentials credentials =
        new io.inmesh.policy.control.ChannelCredentials() {
          @Override
          public javax.net.ssl.SSLSocketFactory tls() {
            return factory;
          }

          @Override
          public String authorization() {
            return null;
          }
        };
    for (String wait : List.of("1s", "3s")) {
      io.inmesh.policy.control.PlainHttp.Response r =
          io.inmesh.policy.control.PlainHttp.exchange(
              "GET", cp.plane.tlsUri().resolve("v1/snapshot?agent=pedido-1&version=" + version + "&wait=" + wait), null, 2000, 10_000, credentials);
      assertThat(r.status()).isEqualTo(304);
    }
  }

  @Test
  void aForgedRegistrationForAnotherWorkloadsIdentityIsRefused() throws Exception {
    Workload usuario = enroll(USUARIO);
    Workload pedido = enroll(PEDIDO);
    HttpClient asUsuario = IdentityPlane.tlsClient(usuario.roots(), usuario.keys(), usuario.chain());
    HttpClient asPedido = IdentityPlane.tlsClient(pedido.roots(), pedido.keys(), pedido.chain());
    assertThat(cp.postTls(asUsuario, "/v1/register", null, registration("usuario-1", USUARIO, "usuario-service")).statusCode()).isEqualTo(200);

    // pedido cannot take over, heartbeat or deregister usuario's agent
    HttpResponse<String> takeover = cp.postTls(asPedido, "/v1/register", null, registration("usuario-1", PEDIDO, "pedido-service"));
    assertThat(takeover.statusCode()).isEqualTo(403);
    assertThat(takeover.body()).contains("agent usuario-1 belongs to " + USUARIO.uri());
    assertThat(cp.postTls(asPedido, "/v1/deregister", null, "{\"agent\":\"usuario-1\"}").statusCode()).isEqualTo(403);
    assertThat(cp.postTls(asPedido, "/v1/heartbeat", null, "{\"agent\":\"usuario-1\"}").statusCode()).isEqualTo(403);
    // nor register a new endpoint claiming usuario's service account
    HttpResponse<String> claim = cp.postTls(asPedido, "/v1/register", null, registration("pedido-x", USUARIO, "usuario-service"));
    assertThat(claim.statusCode()).isEqualTo(403);
    // nor with a token (before its first certificate), nor anonymously over loopback
    String pedidoToken = cp.token("default", "pedido-service", "1h");
    assertThat(cp.post("/v1/deregister", pedidoToken, "{\"agent\":\"usuario-1\"}").statusCode()).isEqualTo(403);
    assertThat(cp.post("/v1/deregister", null, "{\"agent\":\"usuario-1\"}").statusCode()).isEqualTo(403);
    // over TLS, no credential at all is refused
    HttpClient anonymous = IdentityPlane.tlsClient(usuario.roots(), null, null);
    assertThat(cp.postTls(anonymous, "/v1/register", null, registration("anon", PEDIDO, "pedido-service")).statusCode()).isEqualTo(401);

    assertThat(cp.get("/v1/agents").body()).contains("usuario-1");
    assertThat(cp.postTls(asUsuario, "/v1/deregister", null, "{\"agent\":\"usuario-1\"}").statusCode()).isEqualTo(200);
  }

  @Test
  void policyWritesWithoutTheAdminCredentialAreRefusedOverTheNonLoopbackListener() throws Exception {
    Workload pedido = enroll(PEDIDO);
    HttpClient tls = IdentityPlane.tlsClient(pedido.roots(), pedido.keys(), pedido.chain());
    String yaml = SERVICE_ENTRY;
    HttpResponse<String> refused = cp.postTls(tls, "/v1/policy?file=se.yaml", null, yaml);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.body()).contains("writing policy needs the admin credential");
    assertThat(cp.postTls(tls, "/v1/policy?file=se.yaml", "not-the-credential", yaml).statusCode()).isEqualTo(401);
    assertThat(Files.exists(tmp.resolve("policies/se.yaml"))).isFalse();

    String admin = Files.readString(tmp.resolve("data/admin-token")).trim();
    HttpResponse<String> ok = cp.postTls(tls, "/v1/policy?file=se.yaml", admin, yaml);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(cp.postTls(tls, "/v1/policy?file=se.yaml", null, "DELETE").statusCode()).isEqualTo(401);
    assertThat(cp.postTls(tls, "/v1/policy?file=se.yaml", admin, "DELETE").statusCode()).isEqualTo(200);
    // the plain loopback listener is the development setup: writes need nothing there
    assertThat(cp.post("/v1/policy?file=se.yaml", null, yaml).statusCode()).isEqualTo(200);
  }

  @Test
  void aClientRefusesAControlPlaneThatDoesNotChainToItsCa() throws Exception {
    Workload pedido = enroll(PEDIDO);
    // a CA the control plane has nothing to do with
    KeyPair other = Certificates.newP256();
    X509Certificate foreignRoot = Certificates.root(other, "cluster.local", java.time.Instant.now(), 3600);
    HttpClient trustsForeign = IdentityPlane.tlsClient(List.of(foreignRoot), pedido.keys(), pedido.chain());
    assertThatThrownBy(() -> cp.postTls(trustsForeign, "/v1/heartbeat", null, "{\"agent\":\"x\"}"))
        .hasStackTraceContaining("PKIX path");
  }

  @Test
  void rootRotationKeepsAgentsWorkingWithBothRootsTrustedDuringTheOverlap() throws Exception {
    Workload before = enroll(PEDIDO);
    List<X509Certificate> oldRoots = before.roots();
    assertThat(oldRoots).hasSize(1);

    assertThat(CaCommand.run(new String[] {"rotate", "--data-dir", tmp.resolve("data").toString()}, System.out, System.err)).isZero();
    IdentityPlane.eventually(Duration.ofSeconds(10), "the control plane to pick up the rotation",
        () -> cp.get("/v1/trust-bundle").body().split("BEGIN CERTIFICATE").length == 3);

    // an agent that knows only the old root still talks to the control plane (its serving
    // certificate now comes from the new root, cross-signed by the old one)
    HttpClient oldAgent = IdentityPlane.tlsClient(oldRoots, before.keys(), before.chain());
    HttpResponse<String> r = cp.postTls(oldAgent, "/v1/register", null, registration("pedido-1", PEDIDO, "pedido-service"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

    // a certificate issued after the rotation verifies against the old root alone and the new one alone
    Workload after = enroll(PEDIDO);
    assertThat(after.roots()).hasSize(2).contains(oldRoots.get(0));
    X509Certificate newRoot = after.roots().stream().filter(c -> !c.equals(oldRoots.get(0))).findFirst().orElseThrow();
    WorkloadIdentityTest.verifies(after.chain(), oldRoots);
    WorkloadIdentityTest.verifies(after.chain().subList(0, 1), List.of(newRoot));
    // and the old certificate still renews
    KeyPair next = CertificateRequest.newKeyPair();
    HttpResponse<String> renewed =
        cp.post("/v1/certificate", null, WorkloadIdentityTest.renewal(CertificateRequest.pem(next, PEDIDO), before.chain(), before.keys()));
    assertThat(renewed.statusCode()).as(renewed.body()).isEqualTo(200);

    // retiring ends the overlap: only the new root is handed out
    assertThat(CaCommand.run(new String[] {"retire", "--data-dir", tmp.resolve("data").toString()}, System.out, System.err)).isZero();
    IdentityPlane.eventually(Duration.ofSeconds(10), "the retirement",
        () -> cp.get("/v1/trust-bundle").body().split("BEGIN CERTIFICATE").length == 2);
    HttpClient newAgent = IdentityPlane.tlsClient(List.of(newRoot), after.keys(), after.chain());
    assertThat(cp.postTls(newAgent, "/v1/heartbeat", null, "{\"agent\":\"pedido-1\"}").statusCode()).isEqualTo(200);
  }

  static final String SERVICE_ENTRY =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: ext}
      spec:
        hosts: [api.example.com]
        ports: [{number: 443, name: https, protocol: TLS}]
        resolution: DNS
      """;
}
