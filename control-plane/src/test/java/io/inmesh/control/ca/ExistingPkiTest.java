package io.inmesh.control.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inmesh.control.ControlPlane;
import io.inmesh.control.ControlPlaneConfig;
import io.inmesh.control.EventLog;
import io.inmesh.policy.identity.CertificateRequest;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --ca-cert/--ca-key of an existing PKI's intermediate, and a data dir kept for its trust domain. */
class ExistingPkiTest {

  @TempDir Path tmp;

  @Test
  void anExistingIntermediateSignsAndItsChainReachesTheRoot() throws Exception {
    Instant now = Instant.now();
    KeyPair rootKeys = Certificates.newP256();
    X509Certificate root = Certificates.root(rootKeys, "cluster.local", now, 86_400);
    KeyPair interKeys = Certificates.newP256();
    X509Certificate intermediate =
        Certificates.crossSigned(Certificates.root(interKeys, "cluster.local", now.plusSeconds(1), 86_400), root, rootKeys.getPrivate(), now);
    Path cert = tmp.resolve("ca-cert.pem");
    Path key = tmp.resolve("ca-key.pem");
    Files.writeString(cert, Pem.certificates(List.of(intermediate, root)));
    Files.writeString(key, Pem.privateKey(interKeys.getPrivate()));

    List<String> log = new ArrayList<>();
    ControlPlaneConfig config =
        new ControlPlaneConfig("127.0.0.9", 0, tmp.resolve("p"), tmp.resolve("d"), "default", Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ZERO);
    try (ControlPlane plane =
        ControlPlane.start(
            config,
            new IdentityAuthority.Settings(tmp.resolve("d"), "cluster.local", Duration.ofHours(1), cert, key, null, -1, List.of()),
            new EventLog(log::add))) {
      assertThat(Files.exists(tmp.resolve("d/ca"))).as("no root of its own").isFalse();
      String token = new io.inmesh.control.token.JoinTokens(tmp.resolve("d"), java.time.Clock.systemUTC())
          .create("default", "pedido-service", Duration.ofHours(1));
      HttpResponse<String> r =
          IdentityPlane.send(
              java.net.http.HttpClient.newHttpClient(),
              plane.baseUri(),
              "/v1/certificate",
              token,
              "{\"csr\":" + io.inmesh.policy.tree.JsonTrees.writePretty(CertificateRequest.pem(CertificateRequest.newKeyPair(), WorkloadIdentityTest.PEDIDO)) + "}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      List<X509Certificate> chain = IdentityPlane.certs(IdentityPlane.json(r), "chain");
      assertThat(chain).hasSize(2).element(1).isEqualTo(intermediate);
      assertThat(IdentityPlane.certs(IdentityPlane.json(r), "roots")).containsExactly(root);
      WorkloadIdentityTest.verifies(chain, List.of(root));
    }
  }

  @Test
  void aKeyThatIsNotTheIntermediatesIsRefused() throws Exception {
    KeyPair keys = Certificates.newP256();
    X509Certificate root = Certificates.root(keys, "cluster.local", Instant.now(), 86_400);
    Files.writeString(tmp.resolve("c.pem"), Pem.certificate(root));
    Files.writeString(tmp.resolve("k.pem"), Pem.privateKey(Certificates.newP256().getPrivate()));
    assertThatThrownBy(() -> CaDirectory.external(tmp.resolve("c.pem"), tmp.resolve("k.pem"), "cluster.local", Duration.ofHours(1), java.time.Clock.systemUTC()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not the key of the first certificate");
  }

  @Test
  void aDataDirMadeForOneTrustDomainRefusesAnother() throws Exception {
    new CaDirectory(tmp).loadOrCreate("cluster.local", Duration.ofHours(1), java.time.Clock.systemUTC());
    assertThatThrownBy(() -> new CaDirectory(tmp).load("example.org", Duration.ofHours(1), java.time.Clock.systemUTC()))
        .hasMessageContaining("was made for trust domain \"cluster.local\", not \"example.org\"")
        .hasMessageContaining("--trust-domain cluster.local");
  }
}
