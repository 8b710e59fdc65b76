package io.inmesh.agent.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inmesh.bootstrap.UpstreamTls;
import io.inmesh.policy.identity.SpiffeId;
import io.inmesh.policy.identity.WorkloadCertificate;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * The secure stage's TLS over real sockets (loopback 127.0.25.50): mesh roots and SPIFFE IDs
 * instead of host names (https://istio.io/latest/docs/concepts/security/#secure-naming), client
 * certificates required, TLS 1.3, and a renewed certificate shown on the next connection.
 */
class MeshTlsTest {
  static final String TD = "spiffe://cluster.local/ns/default/sa/";
  static final AtomicLong SERIAL = new AtomicLong(1);

  record Ca(KeyPair keys, X509Certificate cert) {}

  static KeyPair ec() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static Ca ca(String name) throws Exception {
    KeyPair k = ec();
    X500Name n = new X500Name("CN=" + name);
    var b = new JcaX509v3CertificateBuilder(n, BigInteger.valueOf(SERIAL.getAndIncrement()), Date.from(Instant.now().minusSeconds(60)),
        Date.from(Instant.now().plus(Duration.ofHours(1))), n, k.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return new Ca(k, new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate()))));
  }

  static WorkloadCertificate workload(Ca ca, String sa) throws Exception {
    return workload(ca, sa, Instant.now().minusSeconds(60), Instant.now().plus(Duration.ofHours(1)));
  }

  static WorkloadCertificate workload(Ca ca, String sa, Instant notBefore, Instant notAfter) throws Exception {
    KeyPair k = ec();
    var b = new JcaX509v3CertificateBuilder(new X500Name(ca.cert().getSubjectX500Principal().getName()), BigInteger.valueOf(SERIAL.getAndIncrement()),
        Date.from(notBefore), Date.from(notAfter), new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
        k.getPublic());
    b.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, TD + sa)));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.keys().getPrivate())));
    return new WorkloadCertificate(SpiffeId.parse(TD + sa), k.getPrivate(), List.of(leaf, ca.cert()), "test");
  }

  /** A server on this workload's identity; answers what it saw of each client (its peer's SPIFFE ID, or the failure). */
  static final class Server implements AutoCloseable {
    final SSLServerSocket socket;
    final MeshTls tls;

    Server(MeshTls tls) throws Exception {
      this.tls = tls;
      socket = (SSLServerSocket) tls.serverContext().getServerSocketFactory().createServerSocket(0, 8, InetAddress.getByName("127.0.25.50"));
      socket.setNeedClientAuth(true);
      socket.setEnabledProtocols(MeshTls.PROTOCOLS);
    }

    CompletableFuture<String> acceptOne() {
      return CompletableFuture.supplyAsync(() -> {
        try (SSLSocket s = (SSLSocket) socket.accept()) {
          s.setSoTimeout(10_000);
          s.startHandshake();
          X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
          s.getOutputStream().write(1);
          s.getOutputStream().flush();
          return WorkloadCertificate.uriSan(peer) + " " + s.getSession().getProtocol();
        } catch (IOException e) {
          return "refused: " + e;
        }
      });
    }

    InetSocketAddress address() {
      return new InetSocketAddress(socket.getInetAddress(), socket.getLocalPort());
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Connects, reads the server's byte; returns the server's certificate. */
  static X509Certificate connect(UpstreamTls tls, InetSocketAddress to) throws IOException {
    try (SSLSocket s = (SSLSocket) tls.socketFactory().createSocket(to.getAddress(), to.getPort())) {
      s.setSoTimeout(10_000);
      s.startHandshake();
      if (s.getInputStream().read() != 1) {
        throw new IOException("the server closed the connection");
      }
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  @Test
  void mutualTlsBetweenMeshIdentitiesOverTls13_theServerSeesTheClientsSpiffeId() throws Exception {
    Ca mesh = ca("mesh");
    WorkloadCertificate a = workload(mesh, "a");
    WorkloadCertificate b = workload(mesh, "b");
    try (Server server = new Server(new MeshTls(() -> b, () -> List.of(mesh.cert())))) {
      CompletableFuture<String> seen = server.acceptOne();
      X509Certificate presented = connect(new MeshTls(() -> a, () -> List.of(mesh.cert())).client(Set.of(TD + "b")), server.address());
      assertThat(WorkloadCertificate.uriSan(presented)).isEqualTo(TD + "b");
      assertThat(seen.get(20, TimeUnit.SECONDS)).isEqualTo(TD + "a TLSv1.3");
    }
  }

  @Test
  void aServerPresentingAnotherIdentityThanTheDestinationsFailsTheHandshake_secureNaming() throws Exception {
    Ca mesh = ca("mesh");
    WorkloadCertificate a = workload(mesh, "a");
    WorkloadCertificate impostor = workload(mesh, "impostor");
    try (Server server = new Server(new MeshTls(() -> impostor, () -> List.of(mesh.cert())))) {
      CompletableFuture<String> seen = server.acceptOne();
      UpstreamTls toB = new MeshTls(() -> a, () -> List.of(mesh.cert())).client(Set.of(TD + "b"));
      assertThatThrownBy(() -> connect(toB, server.address()))
          .isInstanceOf(javax.net.ssl.SSLHandshakeException.class)
          .hasMessageContaining(TD + "impostor");
      assertThat(seen.get(20, TimeUnit.SECONDS)).startsWith("refused");
    }
  }

  @Test
  void aClientCertificateFromAForeignCaOrNoneIsRefused() throws Exception {
    Ca mesh = ca("mesh");
    Ca foreign = ca("foreign");
    WorkloadCertificate b = workload(mesh, "b");
    WorkloadCertificate mallory = workload(foreign, "a"); // claims a mesh identity, signed by someone else
    try (Server server = new Server(new MeshTls(() -> b, () -> List.of(mesh.cert())))) {
      for (MeshTls client : List.of(
          new MeshTls(() -> mallory, () -> List.of(mesh.cert())), new MeshTls(() -> null, () -> List.of(mesh.cert())))) {
        CompletableFuture<String> seen = server.acceptOne();
        try {
          connect(client.client(Set.of(TD + "b")), server.address());
        } catch (IOException expected) {
          // TLS 1.3: the client may finish its side before the server refuses it
        }
        assertThat(seen.get(20, TimeUnit.SECONDS)).startsWith("refused");
      }
    }
  }

  @Test
  void anExpiredClientCertificateIsRefused() throws Exception {
    Ca mesh = ca("mesh");
    WorkloadCertificate b = workload(mesh, "b");
    WorkloadCertificate expired = workload(mesh, "a", Instant.now().minus(Duration.ofHours(2)), Instant.now().minus(Duration.ofHours(1)));
    // a client that presents it anyway (the agent's own key manager never would)
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("c", expired.key(), "x".toCharArray(), expired.chain().toArray(new X509Certificate[0]));
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, "x".toCharArray());
    javax.net.ssl.SSLContext c = javax.net.ssl.SSLContext.getInstance("TLS");
    c.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {new MeshTrustManager(() -> List.of(mesh.cert()), null)}, null);
    try (Server server = new Server(new MeshTls(() -> b, () -> List.of(mesh.cert())))) {
      CompletableFuture<String> seen = server.acceptOne();
      try (SSLSocket s = (SSLSocket) c.getSocketFactory().createSocket(server.address().getAddress(), server.address().getPort())) {
        s.setSoTimeout(10_000);
        s.startHandshake();
        s.getInputStream().read();
      } catch (IOException expected) {
        // refused during or right after the handshake
      }
      assertThat(seen.get(20, TimeUnit.SECONDS)).startsWith("refused").contains("validity check failed");
    }
    assertThat(new WorkloadKeyManager(() -> expired).chooseEngineClientAlias(new String[] {"EC"}, null, null))
        .as("the agent never presents an expired certificate").isNull();
  }

  @Test
  void sessionsResumeAndARenewedCertificateIsPresentedOnTheNextFullHandshakeWithoutRebuildingAnything() throws Exception {
    Ca mesh = ca("mesh");
    WorkloadCertificate a = workload(mesh, "a");
    AtomicReference<WorkloadCertificate> current = new AtomicReference<>(workload(mesh, "b"));
    MeshTls serverTls = new MeshTls(current::get, () -> List.of(mesh.cert()));
    UpstreamTls client = new MeshTls(() -> a, () -> List.of(mesh.cert())).client(Set.of(TD + "b"));
    try (Server server = new Server(serverTls)) {
      server.acceptOne();
      X509Certificate first = connect(client, server.address());
      current.set(workload(mesh, "b")); // renewal: same identity, new key and certificate
      server.acceptOne();
      X509Certificate resumed = connect(client, server.address());
      assertThat(resumed.getSerialNumber()).as("the same client resumed its session").isEqualTo(first.getSerialNumber());
      server.acceptOne();
      X509Certificate renewed = connect(new MeshTls(() -> a, () -> List.of(mesh.cert())).client(Set.of(TD + "b")), server.address());
      assertThat(renewed.getSerialNumber()).isEqualTo(current.get().leaf().getSerialNumber()).isNotEqualTo(first.getSerialNumber());
    }
  }

  @Test
  void forwardedClientCertIsIstiosFormat() throws Exception {
    Ca mesh = ca("mesh");
    WorkloadCertificate a = workload(mesh, "a");
    WorkloadCertificate b = workload(mesh, "b");
    String xfcc = new MeshTls(() -> b, () -> List.of(mesh.cert())).forwardedClientCert(a.chain().toArray(new X509Certificate[0]));
    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(a.leaf().getEncoded()));
    assertThat(xfcc).isEqualTo("By=" + TD + "b;Hash=" + hash + ";Subject=\"\";URI=" + TD + "a");
  }
}
