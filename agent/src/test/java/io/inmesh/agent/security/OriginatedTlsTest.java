package io.inmesh.agent.security;

import static io.inmesh.agent.security.MeshTlsTest.ca;
import static io.inmesh.agent.security.MeshTlsTest.ec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inmesh.agent.security.MeshTlsTest.Ca;
import io.inmesh.policy.model.ClientTlsSettings;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DestinationRule {@code tls} SIMPLE / MUTUAL as the agent originates them
 * (https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings), against a
 * plain JDK TLS server on loopback 127.0.35.51: the chain to {@code caCertificates}, the names
 * ({@code subjectAltNames}, else the SNI name), the SNI sent, the client certificate of MUTUAL.
 */
class OriginatedTlsTest {
  @TempDir Path dir;

  record Leaf(KeyPair keys, X509Certificate cert) {}

  static Leaf leaf(Ca ca, String dns) throws Exception {
    KeyPair k = ec();
    var b = new JcaX509v3CertificateBuilder(new X500Name(ca.cert().getSubjectX500Principal().getName()),
        BigInteger.valueOf(MeshTlsTest.SERIAL.getAndIncrement()), Date.from(Instant.now().minusSeconds(60)),
        Date.from(Instant.now().plus(Duration.ofHours(1))), new X500Name("CN=" + (dns == null ? "client" : dns)), k.getPublic());
    if (dns != null) {
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, dns)));
    }
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    return new Leaf(k, new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.keys().getPrivate()))));
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  /** A TLS server outside the mesh; answers "sni client-serial" of one connection. */
  static final class Server implements AutoCloseable {
    final SSLServerSocket socket;

    Server(Leaf cert, Ca clientCa) throws Exception {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("s", cert.keys().getPrivate(), new char[0], new Certificate[] {cert.cert()});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      TrustManagerFactory tmf = null;
      if (clientCa != null) {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("c", clientCa.cert());
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
      }
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
      socket = (SSLServerSocket) c.getServerSocketFactory().createServerSocket(0, 8, InetAddress.getByName("127.0.35.51"));
      socket.setNeedClientAuth(clientCa != null);
    }

    CompletableFuture<String> acceptOne() {
      return CompletableFuture.supplyAsync(() -> {
        try (SSLSocket s = (SSLSocket) socket.accept()) {
          s.setSoTimeout(10_000);
          s.startHandshake();
          String sni = "-";
          for (var n : ((ExtendedSSLSession) s.getSession()).getRequestedServerNames()) {
            sni = ((SNIHostName) n).getAsciiName();
          }
          String client = "-";
          try {
            client = ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber().toString(16);
          } catch (IOException none) {
            // SIMPLE
          }
          s.getOutputStream().write(1);
          s.getOutputStream().flush();
          return sni + " " + client;
        } catch (IOException e) {
          return "refused: " + e;
        }
      });
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Connects as HttpURLConnection does: a plain socket, then TLS layered over it with the endpoint's address as host. */
  static String call(Server server, OriginatedTls tls) throws Exception {
    return call(server, tls.socketFactory());
  }

  static String call(Server server, javax.net.ssl.SSLSocketFactory factory) throws Exception {
    CompletableFuture<String> seen = server.acceptOne();
    java.net.Socket plain = new java.net.Socket(server.socket.getInetAddress(), server.socket.getLocalPort());
    try (SSLSocket s = (SSLSocket) factory.createSocket(plain, "127.0.35.51", server.socket.getLocalPort(), true)) {
      s.setSoTimeout(10_000);
      s.startHandshake();
      if (s.getInputStream().read() != 1) {
        throw new IOException("closed");
      }
    }
    return seen.get(20, TimeUnit.SECONDS);
  }

  Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }

  static ClientTlsSettings simple(Path ca, String sni, List<String> sans, boolean skip) {
    return new ClientTlsSettings(ClientTlsSettings.Mode.SIMPLE, sni, sans, null, null, null, ca == null ? null : ca.toString(), skip);
  }

  @Test
  void simpleVerifiesTheChainAndTheCalledHostAndSendsItAsSni() throws Exception {
    Ca external = ca("external");
    Ca other = ca("other");
    Path caFile = write("ca.pem", pem("CERTIFICATE", external.cert().getEncoded()));
    Path otherFile = write("other.pem", pem("CERTIFICATE", other.cert().getEncoded()));
    try (Server server = new Server(leaf(external, "api.external.test"), null)) {
      assertThat(call(server, new OriginatedTls(simple(caFile, null, List.of(), false), "api.external.test", new TlsStats())))
          .isEqualTo("api.external.test -");
      // another CA, another host name, another SAN: the handshake fails
      for (OriginatedTls refused : List.of(
          new OriginatedTls(simple(otherFile, null, List.of(), false), "api.external.test", new TlsStats()),
          new OriginatedTls(simple(caFile, null, List.of(), false), "web.external.test", new TlsStats()),
          new OriginatedTls(simple(caFile, null, List.of("spiffe://x/y", "other.external.test"), false), "api.external.test", new TlsStats()))) {
        assertThatThrownBy(() -> call(server, refused)).as(refused.toString()).isInstanceOfAny(SSLHandshakeException.class, IOException.class);
      }
      // sni and subjectAltNames apart: the SNI sent is the rule's, the name checked the SAN
      assertThat(call(server, new OriginatedTls(simple(caFile, "alias.external.test", List.of("api.external.test"), false), "api.external.test", new TlsStats())))
          .isEqualTo("alias.external.test -");
      // insecureSkipVerify: any chain, any name
      assertThat(call(server, new OriginatedTls(simple(otherFile, null, List.of("nobody"), true), "x.test", new TlsStats()))).isEqualTo("x.test -");
    }
  }

  @Test
  void mutualPresentsTheConfiguredCertificateAndAMissingFileFailsTheConnection() throws Exception {
    Ca external = ca("external");
    Ca clients = ca("clients");
    Leaf client = leaf(clients, null);
    Path caFile = write("ca.pem", pem("CERTIFICATE", external.cert().getEncoded()));
    Path certFile = write("client.pem", pem("CERTIFICATE", client.cert().getEncoded()) + pem("CERTIFICATE", clients.cert().getEncoded()));
    Path keyFile = write("client-key.pem", pem("PRIVATE KEY", client.keys().getPrivate().getEncoded()));
    ClientTlsSettings mutual = new ClientTlsSettings(ClientTlsSettings.Mode.MUTUAL, null, List.of(), null, certFile.toString(), keyFile.toString(),
        caFile.toString(), false);
    try (Server server = new Server(leaf(external, "db.external.test"), clients)) {
      assertThat(call(server, new OriginatedTls(mutual, "db.external.test", new TlsStats())))
          .isEqualTo("db.external.test " + client.cert().getSerialNumber().toString(16));
    }
    Files.delete(keyFile);
    OriginatedTls broken = new OriginatedTls(mutual, "db.external.test", new TlsStats());
    assertThatThrownBy(broken::socketFactory).isInstanceOf(IllegalStateException.class).hasMessageContaining(keyFile.toString());
  }

  /**
   * A replaced clientCertificate/privateKey reaches new connections through the one socket factory an
   * adapter keeps (OkHttp keeps it as its pool key), while connections keep coming more often than
   * the once-a-second look at the files: the look is not put off by every call.
   */
  @Test
  void replacedFilesReachNewConnectionsOfAKeptFactoryUnderSteadyCalls() throws Exception {
    Ca external = ca("external");
    Ca clients = ca("clients");
    Leaf first = leaf(clients, null);
    Leaf second = leaf(clients, null);
    Path caFile = write("ca.pem", pem("CERTIFICATE", external.cert().getEncoded()));
    Path certFile = write("client.pem", pem("CERTIFICATE", first.cert().getEncoded()));
    Path keyFile = write("client-key.pem", pem("PRIVATE KEY", first.keys().getPrivate().getEncoded()));
    ClientTlsSettings mutual = new ClientTlsSettings(ClientTlsSettings.Mode.MUTUAL, null, List.of(), null, certFile.toString(), keyFile.toString(),
        caFile.toString(), false);
    OriginatedTls tls = new OriginatedTls(mutual, "db.external.test", new TlsStats());
    javax.net.ssl.SSLSocketFactory kept = tls.socketFactory();
    try (Server server = new Server(leaf(external, "db.external.test"), clients)) {
      assertThat(call(server, kept)).isEqualTo("db.external.test " + first.cert().getSerialNumber().toString(16));
      Files.writeString(certFile, pem("CERTIFICATE", second.cert().getEncoded()));
      Files.writeString(keyFile, pem("PRIVATE KEY", second.keys().getPrivate().getEncoded()));
      java.nio.file.attribute.FileTime later = java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(5));
      Files.setLastModifiedTime(certFile, later);
      Files.setLastModifiedTime(keyFile, later);
      String want = "db.external.test " + second.cert().getSerialNumber().toString(16);
      String seen = null;
      for (int i = 0; i < 60 && !want.equals(seen); i++) { // bounded: ~6 s of connections every 100 ms
        seen = call(server, kept);
        Thread.sleep(100);
      }
      assertThat(seen).as("the replaced certificate on a new connection of the kept factory").isEqualTo(want);
    }
  }

  @Test
  void namesMatchDnsWildcardsInTheLeftmostLabelOnly() throws Exception {
    Ca external = ca("external");
    X509Certificate wildcard = leaf(external, "*.external.test").cert();
    assertThat(OriginatedTls.matchesAny(wildcard, List.of("api.external.test"))).isTrue();
    assertThat(OriginatedTls.matchesAny(wildcard, List.of("a.b.external.test"))).isFalse();
    assertThat(OriginatedTls.matchesAny(wildcard, List.of("external.test"))).isFalse();
  }
}
