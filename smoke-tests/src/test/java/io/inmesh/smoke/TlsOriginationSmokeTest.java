package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * DestinationRule {@code tls} SIMPLE and MUTUAL for ServiceEntry hosts
 * (https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings), as
 * Istio's egress TLS origination task does it
 * (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-tls-origination/): the
 * application calls {@code http://simple.external.test/...} (port 80, {@code targetPort} 8443) and the
 * agent originates TLS to the endpoint. The servers are JDK {@code HttpsServer}s of this test JVM
 * outside the mesh, with certificates of their own CA; the MUTUAL one requires a client certificate.
 * Both the JDK {@code HttpClient} and {@code HttpURLConnection} of an unmodified application.
 *
 * <p>Loopback addresses 127.0.35.21–39.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TlsOriginationSmokeTest {
  static final String CONTROL = "127.0.35.21:15010";
  static final String CALLER = "127.0.35.22";
  static final String SIMPLE_SERVER = "127.0.35.31";
  static final String MUTUAL_SERVER = "127.0.35.32";
  static final String SIMPLE_HOST = "simple.external.test";
  static final String MUTUAL_HOST = "mutual.external.test";
  static final List<String> CLIENTS = List.of("", "&huc=1");
  static final AtomicLong SERIAL = new AtomicLong(1000);

  final Path tmp = Smoke.workDir("TlsOriginationSmokeTest");
  final Path logs = Smoke.LOGS.resolve("tls-origination");
  final List<Proc> procs = new CopyOnWriteArrayList<>();
  final List<HttpsServer> servers = new ArrayList<>();
  final AtomicInteger simpleServed = new AtomicInteger();
  Path policies;
  Path certs;
  X509Certificate clientCert;
  Proc controlPlane;
  Proc caller;

  record Issued(KeyPair keys, X509Certificate cert) {}

  static KeyPair ec() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static Issued ca(String name) throws Exception {
    KeyPair k = ec();
    X500Name n = new X500Name("CN=" + name);
    var b = new JcaX509v3CertificateBuilder(n, BigInteger.valueOf(SERIAL.getAndIncrement()), Date.from(Instant.now().minusSeconds(60)),
        Date.from(Instant.now().plus(Duration.ofDays(1))), n, k.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return new Issued(k, new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate()))));
  }

  static Issued leaf(Issued ca, String cn, String dnsName) throws Exception {
    KeyPair k = ec();
    var b = new JcaX509v3CertificateBuilder(new X500Name(ca.cert().getSubjectX500Principal().getName()), BigInteger.valueOf(SERIAL.getAndIncrement()),
        Date.from(Instant.now().minusSeconds(60)), Date.from(Instant.now().plus(Duration.ofDays(1))), new X500Name("CN=" + cn), k.getPublic());
    if (dnsName != null) {
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
    }
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    return new Issued(k, new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.keys().getPrivate()))));
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  /** An HTTPS server outside the mesh that says what it saw: its name, the SNI, the protocol, the client certificate. */
  HttpsServer https(String name, String address, Issued server, Issued ca, Issued clientCa) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", server.keys().getPrivate(), new char[0], new Certificate[] {server.cert(), ca.cert()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    TrustManagerFactory tmf = null;
    if (clientCa != null) {
      KeyStore ts = KeyStore.getInstance("PKCS12");
      ts.load(null, null);
      ts.setCertificateEntry("client-ca", clientCa.cert());
      tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ts);
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
    HttpsServer s = HttpsServer.create(new InetSocketAddress(address, 8443), 16);
    boolean needClientAuth = clientCa != null;
    s.setHttpsConfigurator(new HttpsConfigurator(ctx) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters p = ctx.getDefaultSSLParameters();
        p.setNeedClientAuth(needClientAuth);
        params.setSSLParameters(p);
      }
    });
    s.createContext("/", ex -> {
      if (name.equals("simple")) {
        simpleServed.incrementAndGet();
      }
      SSLSession session = ((HttpsExchange) ex).getSSLSession();
      String sni = "";
      if (session instanceof ExtendedSSLSession e) {
        for (SNIServerName n : e.getRequestedServerNames()) {
          if (n instanceof SNIHostName h) {
            sni = h.getAsciiName();
          }
        }
      }
      String client = "none";
      try {
        client = ((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber().toString(16);
      } catch (IOException noClientCertificate) {
        // SIMPLE
      }
      byte[] b = ("served-by=" + name + "\nsni=" + sni + "\nprotocol=" + session.getProtocol() + "\nclient-serial=" + client
          + "\nhost=" + ex.getRequestHeaders().getFirst("Host") + "\n").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(b);
      }
    });
    s.start();
    servers.add(s);
    return s;
  }

  @BeforeAll
  void startFleet() throws Exception {
    certs = Files.createDirectories(tmp.resolve("certs"));
    Issued externalCa = ca("external-ca");
    Issued otherCa = ca("other-ca");
    Issued clientCa = ca("client-ca");
    Issued client = leaf(clientCa, "inmesh-egress-client", null);
    clientCert = client.cert();
    Files.writeString(certs.resolve("ca.pem"), pem("CERTIFICATE", externalCa.cert().getEncoded()));
    Files.writeString(certs.resolve("other-ca.pem"), pem("CERTIFICATE", otherCa.cert().getEncoded()));
    Files.writeString(certs.resolve("client.pem"), pem("CERTIFICATE", client.cert().getEncoded()) + pem("CERTIFICATE", clientCa.cert().getEncoded()));
    Files.writeString(certs.resolve("client-key.pem"), pem("PRIVATE KEY", client.keys().getPrivate().getEncoded()));
    https("simple", SIMPLE_SERVER, leaf(externalCa, "simple", SIMPLE_HOST), externalCa, null);
    https("mutual", MUTUAL_SERVER, leaf(externalCa, "mutual", MUTUAL_HOST), externalCa, clientCa);

    policies = Files.createDirectories(tmp.resolve("policies"));
    Smoke.write(policies.resolve("service-entries.yaml"), serviceEntry(SIMPLE_HOST, SIMPLE_SERVER) + "---\n" + serviceEntry(MUTUAL_HOST, MUTUAL_SERVER));
    Smoke.write(policies.resolve("simple.yaml"), destinationRule("simple", SIMPLE_HOST, "mode: SIMPLE\ncaCertificates: " + certs.resolve("ca.pem")));
    Smoke.write(policies.resolve("mutual.yaml"), destinationRule("mutual", MUTUAL_HOST, mutualTls()));
    controlPlane = Smoke.controlPlane("control-plane", CONTROL, policies, tmp.resolve("control-data"), logs);
    procs.add(controlPlane);
    Map<String, String> env = inmeshEnv("egress-caller", "app=egress-caller", CALLER, "http://" + CONTROL, tmp.resolve("cache-caller"));
    caller = meshed("egress-caller", env, logs, plainApp("mtls.MtlsCallerApp", CALLER, "8080"));
    procs.add(caller);
    Smoke.awaitReady(caller, CALLER);
    assertThat(caller.awaitOutput("mtls caller listening", Duration.ofSeconds(60))).as(caller.tail(20)).isTrue();
  }

  static String serviceEntry(String host, String address) {
    // the egress TLS origination task's ServiceEntry: port 80 speaks HTTP to the application, 8443 is the endpoint's TLS port
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: %s
          namespace: default
        spec:
          hosts: [%s]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 80, name: http-port, protocol: HTTP, targetPort: 8443}]
          endpoints:
          - {address: %s}
        """.formatted(host.substring(0, host.indexOf('.')), host, address);
  }

  static String destinationRule(String name, String host, String tls) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: %s
          namespace: default
        spec:
          host: %s
          trafficPolicy:
            portLevelSettings:
            - port:
                number: 80
              tls:
        """.formatted(name, host) + tls.indent(8);
  }

  String mutualTls() {
    return "mode: MUTUAL\nclientCertificate: " + certs.resolve("client.pem") + "\nprivateKey: " + certs.resolve("client-key.pem")
        + "\ncaCertificates: " + certs.resolve("ca.pem");
  }

  static Map<String, String> call(String url, String extra) {
    String text = Smoke.get("http://" + CALLER + ":8080/call?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8) + extra);
    Map<String, String> m = new HashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        m.putIfAbsent(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    m.put("raw", text);
    return m;
  }

  void apply(String file, String yaml) {
    Smoke.applyPolicy(policies.resolve(file), yaml, List.of(CALLER), controlPlane, caller);
  }

  @Test
  @Order(1)
  void simpleOriginatesTlsForAnHttpCall_egressTlsOrigination() {
    for (String extra : CLIENTS) {
      int before = simpleServed.get();
      Map<String, String> r = call("http://" + SIMPLE_HOST + "/hello", extra);
      assertThat(r.get("status")).as(extra + " " + r.get("raw")).isEqualTo("200");
      assertThat(r.get("served-by")).isEqualTo("simple");
      assertThat(r.get("sni")).as("SNI: the host the application called").isEqualTo(SIMPLE_HOST);
      assertThat(r.get("protocol")).isEqualTo("TLSv1.3");
      assertThat(r.get("client-serial")).isEqualTo("none");
      assertThat(r.get("host")).as("the Host header keeps the name the application called").startsWith(SIMPLE_HOST);
      assertThat(simpleServed.get()).as("served by the HTTPS server: the connection was TLS").isEqualTo(before + 1);
    }
  }

  @Test
  @Order(2)
  void aServerOfAnotherCaOrWithoutTheNamedSanFails503UF() {
    apply("simple.yaml", destinationRule("simple", SIMPLE_HOST, "mode: SIMPLE\ncaCertificates: " + certs.resolve("other-ca.pem")));
    int before = simpleServed.get();
    for (String extra : CLIENTS) {
      Map<String, String> r = call("http://" + SIMPLE_HOST + "/", extra);
      assertThat(r.get("status")).as("a CA that did not sign the server: " + extra + " " + r.get("raw")).isEqualTo("503");
      assertThat(r.get("reason")).isEqualTo("UF");
    }
    apply("simple.yaml", destinationRule("simple", SIMPLE_HOST,
        "mode: SIMPLE\ncaCertificates: " + certs.resolve("ca.pem") + "\nsubjectAltNames: [other.external.test]"));
    for (String extra : CLIENTS) {
      Map<String, String> r = call("http://" + SIMPLE_HOST + "/", extra);
      assertThat(r.get("status")).as("the server's certificate does not name other.external.test: " + extra + " " + r.get("raw")).isEqualTo("503");
      assertThat(r.get("reason")).isEqualTo("UF");
    }
    assertThat(simpleServed.get()).as("no request reached the server: never sent in plain text or unverified").isEqualTo(before);

    // sni and subjectAltNames set apart: the SNI sent is the rule's, the name checked is the SAN
    apply("simple.yaml", destinationRule("simple", SIMPLE_HOST,
        "mode: SIMPLE\ncaCertificates: " + certs.resolve("ca.pem") + "\nsni: alias.external.test\nsubjectAltNames: [" + SIMPLE_HOST + "]"));
    for (String extra : CLIENTS) {
      Map<String, String> r = call("http://" + SIMPLE_HOST + "/", extra);
      assertThat(r.get("status")).as(extra + " " + r.get("raw")).isEqualTo("200");
      assertThat(r.get("sni")).isEqualTo("alias.external.test");
    }
  }

  @Test
  @Order(3)
  void mutualPresentsTheConfiguredClientCertificate() {
    String serial = clientCert.getSerialNumber().toString(16);
    for (String extra : CLIENTS) {
      Map<String, String> r = call("http://" + MUTUAL_HOST + "/", extra);
      assertThat(r.get("status")).as(extra + " " + r.get("raw")).isEqualTo("200");
      assertThat(r.get("served-by")).isEqualTo("mutual");
      assertThat(r.get("client-serial")).as("the certificate of clientCertificate").isEqualTo(serial);
      assertThat(r.get("sni")).isEqualTo(MUTUAL_HOST);
    }
    // SIMPLE presents no certificate: the server that requires one refuses
    apply("mutual.yaml", destinationRule("mutual", MUTUAL_HOST, "mode: SIMPLE\ncaCertificates: " + certs.resolve("ca.pem")));
    for (String extra : CLIENTS) {
      Map<String, String> r = call("http://" + MUTUAL_HOST + "/", extra);
      assertThat(r.get("status")).as(extra + " " + r.get("raw")).isNotEqualTo("200");
    }
    apply("mutual.yaml", destinationRule("mutual", MUTUAL_HOST, mutualTls()));
    Map<String, String> again = call("http://" + MUTUAL_HOST + "/", "");
    assertThat(again.get("status")).as(again.get("raw")).isEqualTo("200");
  }

  @Test
  @Order(4)
  void validationNamesFileResourceAndFieldAndNoLongerWarnsAboutOrigination() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("validate"));
    Smoke.write(dir.resolve("good.yaml"), destinationRule("good", SIMPLE_HOST, mutualTls()));
    String good = validate(dir.resolve("good.yaml"), 0);
    assertThat(good).as("MUTUAL with its files: no finding about tls").doesNotContain("not enforced").doesNotContain(": error:").doesNotContain(".tls");
    Smoke.write(dir.resolve("bad.yaml"), destinationRule("bad", SIMPLE_HOST,
        "mode: MUTUAL\nclientCertificate: " + certs.resolve("client.pem") + "\ncaCertificates: " + certs.resolve("missing-ca.pem")));
    String bad = validate(dir.resolve("bad.yaml"), 1);
    assertThat(bad).contains("bad.yaml:").contains("DestinationRule default/bad")
        .contains("spec.trafficPolicy.portLevelSettings[0].tls.privateKey: mode MUTUAL needs clientCertificate and privateKey")
        .contains("spec.trafficPolicy.portLevelSettings[0].tls.caCertificates: no readable file " + certs.resolve("missing-ca.pem"));
  }

  static String validate(Path file, int expectedExit) throws Exception {
    Process p = new ProcessBuilder(Smoke.ROOT.resolve("inmesh").toString(), "validate", file.toString())
        .directory(Smoke.ROOT.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isEqualTo(expectedExit);
    return out;
  }

  @AfterAll
  void stopAll() {
    servers.forEach(s -> s.stop(0));
    Proc.stopAll(procs);
  }
}
