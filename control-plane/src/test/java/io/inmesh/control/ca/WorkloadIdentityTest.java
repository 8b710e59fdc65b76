package io.inmesh.control.ca;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.files.PrivateFiles;
import io.inmesh.policy.identity.CertificateRequest;
import io.inmesh.policy.identity.SpiffeId;
import io.inmesh.policy.tree.JsonTrees;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CA and join tokens against a real control plane on a loopback address, with CSRs written by
 * the agent's own (JDK-only) CSR writer. Identities follow Istio's SPIFFE form
 * (https://istio.io/latest/docs/concepts/security/#istio-identity).
 */
class WorkloadIdentityTest {

  static final SpiffeId PEDIDO = new SpiffeId("cluster.local", "default", "pedido-service");
  static final SpiffeId USUARIO = new SpiffeId("cluster.local", "default", "usuario-service");

  @TempDir Path tmp;
  IdentityPlane cp;

  @BeforeEach
  void start() throws Exception {
    cp = new IdentityPlane(tmp.resolve("policies"), tmp.resolve("data"), Duration.ofHours(24), "cluster.local");
  }

  @AfterEach
  void stop() {
    cp.close();
  }

  @Test
  void theRootIsCreatedUnderTheDataDirOwnerOnly() throws Exception {
    Path ca = tmp.resolve("data/ca");
    assertThat(PrivateFiles.mode(ca)).isEqualTo("rwx------");
    for (String f : List.of("key.pem", "cert.pem", "roots.pem")) {
      assertThat(PrivateFiles.mode(ca.resolve(f))).as(f).isEqualTo("rw-------");
    }
    assertThat(PrivateFiles.mode(tmp.resolve("data/admin-token"))).isEqualTo("rw-------");
    X509Certificate root = Pem.readCertificates(Files.readString(ca.resolve("cert.pem")), "root").get(0);
    assertThat(root.getPublicKey().getAlgorithm()).isEqualTo("EC");
    assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(cp.log).anyMatch(l -> l.contains("identity: trust domain cluster.local, CA created in"));
  }

  @Test
  void aTokenObtainsItsOwnIdentityAndItsOnlySan() throws Exception {
    String token = cp.token("default", "pedido-service", "1h");
    KeyPair keys = CertificateRequest.newKeyPair();
    HttpResponse<String> r = cp.sign(token, CertificateRequest.pem(keys, PEDIDO));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Map<String, Object> answer = IdentityPlane.json(r);
    List<X509Certificate> chain = IdentityPlane.certs(answer, "chain");
    X509Certificate leaf = chain.get(0);
    assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, PEDIDO.uri()));
    assertThat(answer.get("identity")).isEqualTo(PEDIDO.uri());
    // 24 h by default: the certificate lasts what --cert-ttl says (from a minute of back-dating)
    long lifetime = leaf.getNotAfter().getTime() - leaf.getNotBefore().getTime();
    assertThat(lifetime).isBetween(Duration.ofHours(24).toMillis(), Duration.ofHours(24).plusMinutes(2).toMillis());
    verifies(chain, IdentityPlane.certs(answer, "roots"));
  }

  @Test
  void aTokenForPedidoCannotObtainUsuario() {
    String token = cp.token("default", "pedido-service", "1h");
    HttpResponse<String> r = cp.sign(token, CertificateRequest.pem(CertificateRequest.newKeyPair(), USUARIO));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("asks for " + USUARIO.uri() + " but the credential proves " + PEDIDO.uri());
  }

  @Test
  void aCsrWithExtraOrDifferentSansIsRefused() {
    String token = cp.token("default", "pedido-service", "1h");
    KeyPair keys = CertificateRequest.newKeyPair();
    HttpResponse<String> extraDns = cp.sign(token, CertificateRequest.pem(keys, List.of(PEDIDO.uri()), List.of("pedido-service.default.svc")));
    assertThat(extraDns.statusCode()).isEqualTo(403);
    assertThat(extraDns.body()).contains("names 2 SANs");
    HttpResponse<String> twoUris = cp.sign(token, CertificateRequest.pem(keys, List.of(PEDIDO.uri(), USUARIO.uri()), List.of()));
    assertThat(twoUris.statusCode()).isEqualTo(403);
    HttpResponse<String> dnsOnly = cp.sign(token, CertificateRequest.pem(keys, List.of(), List.of("pedido-service")));
    assertThat(dnsOnly.statusCode()).isEqualTo(403);
    assertThat(dnsOnly.body()).contains("is not a URI");
    HttpResponse<String> otherDomain =
        cp.sign(token, CertificateRequest.pem(keys, List.of("spiffe://evil.example/ns/default/sa/pedido-service"), List.of()));
    assertThat(otherDomain.statusCode()).isEqualTo(403);
  }

  @Test
  void anExpiredOrRevokedOrForeignTokenGetsNothing() throws Exception {
    String csr = CertificateRequest.pem(CertificateRequest.newKeyPair(), PEDIDO);
    String revoked = cp.token("default", "pedido-service", "1h");
    assertThat(cp.sign(revoked, csr).statusCode()).isEqualTo(200);
    cp.revoke(revoked);
    HttpResponse<String> r = cp.sign(revoked, csr);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("was revoked");

    String expiring = cp.token("default", "pedido-service", "1s");
    IdentityPlane.eventually(Duration.ofSeconds(5), "the token's expiry", () -> cp.sign(expiring, csr).statusCode() == 401);
    assertThat(cp.sign(expiring, csr).body()).contains("expired");

    // a token minted from another data directory (another control plane's key)
    String foreign = revoked.substring(0, revoked.lastIndexOf('.') + 1) + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
    assertThat(cp.sign(foreign, csr).statusCode()).isEqualTo(401);
    assertThat(cp.sign(null, csr).statusCode()).isEqualTo(401);
  }

  @Test
  void oneTokenServesManyReplicas() {
    String token = cp.token("default", "pedido-service", "1h");
    for (int i = 0; i < 3; i++) {
      assertThat(cp.sign(token, CertificateRequest.pem(CertificateRequest.newKeyPair(), PEDIDO)).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void renewalProvesTheCurrentCertificateAfterTheTokenIsGone() throws Exception {
    String token = cp.token("default", "pedido-service", "1h");
    KeyPair first = CertificateRequest.newKeyPair();
    List<X509Certificate> chain = IdentityPlane.certs(IdentityPlane.json(cp.sign(token, CertificateRequest.pem(first, PEDIDO))), "chain");
    cp.revoke(token);

    KeyPair next = CertificateRequest.newKeyPair();
    String csr = CertificateRequest.pem(next, PEDIDO);
    HttpResponse<String> renewed = cp.post("/v1/certificate", null, renewal(csr, chain, first));
    assertThat(renewed.statusCode()).as(renewed.body()).isEqualTo(200);
    assertThat(IdentityPlane.certs(IdentityPlane.json(renewed), "chain").get(0).getPublicKey()).isEqualTo(next.getPublic());

    // the proof must be made with the current certificate's key, not any key
    HttpResponse<String> stolenChain = cp.post("/v1/certificate", null, renewal(csr, chain, next));
    assertThat(stolenChain.statusCode()).isEqualTo(403);
    // and the current certificate cannot be used to obtain another identity
    HttpResponse<String> other = cp.post("/v1/certificate", null, renewal(CertificateRequest.pem(next, USUARIO), chain, first));
    assertThat(other.statusCode()).isEqualTo(403);
  }

  @Test
  void aMeshConfigWithAnotherTrustDomainIsRejected() {
    String yaml = "apiVersion: inmesh.dev/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh}\nspec:\n  trustDomain: example.org\n";
    HttpResponse<String> r = cp.post("/v1/policy?file=mesh.yaml", null, yaml);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("trustDomain \\\"example.org\\\" disagrees with the control plane's --trust-domain cluster.local");
    HttpResponse<String> same = cp.post("/v1/policy?file=mesh.yaml", null, yaml.replace("example.org", "cluster.local"));
    assertThat(same.statusCode()).as(same.body()).isEqualTo(200);
  }

  static String renewal(String csr, List<X509Certificate> chain, KeyPair signer) {
    String sig = Base64.getEncoder().encodeToString(CertificateRequest.sign(signer.getPrivate(), csr.getBytes(StandardCharsets.UTF_8)));
    return new String(
        JsonTrees.write(Map.of("csr", csr, "proof", Map.of("chain", chain.stream().map(Pem::certificate).toList(), "signature", sig))),
        StandardCharsets.UTF_8);
  }

  static void verifies(List<X509Certificate> chain, List<X509Certificate> roots) throws Exception {
    Set<TrustAnchor> anchors = roots.stream().map(r -> new TrustAnchor(r, null)).collect(Collectors.toSet());
    PKIXParameters p = new PKIXParameters(anchors);
    p.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), p);
  }
}
