package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.assertj.core.api.SoftAssertions;
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
 * Every meshed client library of an unmodified application makes the same calls: the JDK
 * {@code HttpClient} and {@code HttpURLConnection} (apps/mtls/MtlsCallerApp), and, in a second caller
 * (apps/tasks/TaskCallerApp with the libraries' jars), OkHttp 4.12 and 5.x, Apache HttpClient 5 classic
 * and async and 4.5, Reactor Netty's {@code HttpClient} bare and under {@code WebClient}, and Jetty
 * 12's {@code HttpClient}.
 *
 * <p>Loopback addresses 127.0.35.21–39 (the JDK caller, the servers) and 127.0.37.22 (the libraries' caller).
 */
@Shows(feature = "origination", value = {"jdk", "huc", "okhttp4", "okhttp5", "apache5", "apache5-async", "apache4", "reactor-netty", "webclient", "jetty-client"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TlsOriginationSmokeTest {
  static final String CONTROL = "127.0.35.21:15010";
  static final String CALLER = "127.0.35.22";
  static final String LIBS = "127.0.37.22";
  static final String SIMPLE_SERVER = "127.0.35.31";
  static final String MUTUAL_SERVER = "127.0.35.32";
  static final String SIMPLE_HOST = "simple.external.test";
  static final String MUTUAL_HOST = "mutual.external.test";
  /** jdk and huc are MtlsCallerApp's; the others TaskCallerApp's (LIBS). */
  static final List<String> CLIENTS =
      List.of("jdk", "huc", "okhttp4", "okhttp5", "apache5", "apache5-async", "apache4", "reactor-netty", "webclient", "jetty");
  static final AtomicLong SERIAL = new AtomicLong(1000);

  final Path tmp = Smoke.workDir("TlsOriginationSmokeTest");
  final Path logs = Smoke.LOGS.resolve("tls-origination");
  final List<Proc> procs = new CopyOnWriteArrayList<>();
  final List<HttpsServer> servers = new ArrayList<>();
  final AtomicInteger simpleServed = new AtomicInteger();
  final AtomicInteger mutualServed = new AtomicInteger();
  Path policies;
  Path certs;
  X509Certificate clientCert;
  Issued clientCa;
  Proc controlPlane;
  Proc caller;
  Proc libs;

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

  /**
   * An HTTPS server outside the mesh that says what it saw: its name, the SNI, the protocol, the
   * client certificate, the Host header; on {@code /close...} it closes the connection after answering.
   */
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
      (name.equals("simple") ? simpleServed : mutualServed).incrementAndGet();
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
      if (ex.getRequestURI().getPath().startsWith("/close")) {
        ex.getResponseHeaders().set("Connection", "close"); // the client makes a new connection for its next call
      }
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
    clientCa = ca("client-ca");
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
    Map<String, String> libsEnv = inmeshEnv("egress-libs", "app=egress-libs", LIBS, "http://" + CONTROL, tmp.resolve("cache-libs"));
    libs = meshed("egress-libs", libsEnv, logs,
        JettyClientMeshSmokeTest.withJetty(OkHttpJars.withBoth(Smoke.plainAppWithClientLibraries("tasks.TaskCallerApp", LIBS, "8080"))));
    procs.add(libs);
    Smoke.awaitReady(caller, CALLER);
    Smoke.awaitReady(libs, LIBS);
    assertThat(libs.awaitOutput("task caller listening", Duration.ofSeconds(60))).as(libs.tail(20)).isTrue();
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

  /** One call of {@code url} by {@code client}: status, reason (x-inmesh-reason), what the server saw, raw. */
  static Map<String, String> call(String client, String url) {
    String text;
    Map<String, String> m = new HashMap<>();
    if (client.equals("jdk") || client.equals("huc")) {
      text = Smoke.get("http://" + CALLER + ":8080/call?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8) + (client.equals("huc") ? "&huc=1" : ""));
    } else {
      JsonNode r = Smoke.getJson("http://" + LIBS + ":8080/call?client=" + client + "&url=" + URLEncoder.encode(url, StandardCharsets.UTF_8))
          .path("results").get(0);
      m.put("status", r.path("status").asText());
      m.put("reason", r.path("reason").asText());
      text = r.path("body").asText() + (r.has("error") ? "\nerror=" + r.path("error").asText() : "");
    }
    MeshIdentityFleet.fields(text).forEach(m::putIfAbsent);
    m.put("raw", client + ": " + text);
    return m;
  }

  void apply(String file, String yaml) {
    Smoke.applyPolicy(policies.resolve(file), yaml, List.of(CALLER, LIBS), controlPlane, caller, libs);
  }

  @Test
  @Order(1)
  void simpleOriginatesTlsForAnHttpCall_egressTlsOrigination() {
    SoftAssertions soft = new SoftAssertions();
    for (String client : CLIENTS) {
      int before = simpleServed.get();
      Map<String, String> r = call(client, "http://" + SIMPLE_HOST + "/hello");
      soft.assertThat(r.get("status")).as(r.get("raw")).isEqualTo("200");
      soft.assertThat(r.get("served-by")).as(r.get("raw")).isEqualTo("simple");
      soft.assertThat(r.get("sni")).as("SNI: the host the application called: " + r.get("raw")).isEqualTo(SIMPLE_HOST);
      soft.assertThat(r.get("protocol")).as(r.get("raw")).isEqualTo("TLSv1.3");
      soft.assertThat(r.get("client-serial")).as(r.get("raw")).isEqualTo("none");
      soft.assertThat(r.get("host")).as("the Host header keeps the name the application called: " + r.get("raw")).startsWith(SIMPLE_HOST);
      soft.assertThat(simpleServed.get()).as(client + ": served by the HTTPS server: the connection was TLS").isEqualTo(before + 1);
    }
    soft.assertAll();
  }

  /**
   * Each client now holds a pooled TLS connection to the SIMPLE server's address; a call the
   * application addresses to that address and port itself (no mesh host: it passes through as
   * written, plain text) must get a connection of its own, never the pooled TLS one.
   */
  @Test
  @Order(2)
  void aPlainCallToTheSameAddressIsNeverHandedTheOriginatedConnection() {
    SoftAssertions soft = new SoftAssertions();
    int before = simpleServed.get();
    for (String client : CLIENTS) {
      Map<String, String> r = call(client, "http://" + SIMPLE_SERVER + ":8443/plain");
      soft.assertThat(r.get("status")).as("plain text to an HTTPS port is not served: " + r.get("raw")).isNotEqualTo("200");
    }
    soft.assertThat(simpleServed.get()).as("no plain call was served over an originated TLS connection").isEqualTo(before);
    soft.assertAll();
  }

  @Test
  @Order(3)
  void aServerOfAnotherCaOrWithoutTheNamedSanFails503UF() {
    SoftAssertions soft = new SoftAssertions();
    apply("simple.yaml", destinationRule("simple", SIMPLE_HOST, "mode: SIMPLE\ncaCertificates: " + certs.resolve("other-ca.pem")));
    int before = simpleServed.get();
    for (String client : CLIENTS) {
      Map<String, String> r = call(client, "http://" + SIMPLE_HOST + "/");
      soft.assertThat(r.get("status")).as("a CA that did not sign the server (pooled connection or not): " + r.get("raw")).isEqualTo("503");
      soft.assertThat(r.get("reason")).as(r.get("raw")).isEqualTo("UF");
    }
    apply("simple.yaml", destinationRule("simple", SIMPLE_HOST,
        "mode: SIMPLE\ncaCertificates: " + certs.resolve("ca.pem") + "\nsubjectAltNames: [other.external.test]"));
    for (String client : CLIENTS) {
      Map<String, String> r = call(client, "http://" + SIMPLE_HOST + "/");
      soft.assertThat(r.get("status")).as("the server's certificate does not name other.external.test: " + r.get("raw")).isEqualTo("503");
      soft.assertThat(r.get("reason")).as(r.get("raw")).isEqualTo("UF");
    }
    soft.assertThat(simpleServed.get()).as("no request reached the server: never sent in plain text or unverified").isEqualTo(before);

    // sni and subjectAltNames set apart: the SNI sent is the rule's, the name checked is the SAN
    apply("simple.yaml", destinationRule("simple", SIMPLE_HOST,
        "mode: SIMPLE\ncaCertificates: " + certs.resolve("ca.pem") + "\nsni: alias.external.test\nsubjectAltNames: [" + SIMPLE_HOST + "]"));
    for (String client : CLIENTS) {
      Map<String, String> r = call(client, "http://" + SIMPLE_HOST + "/");
      soft.assertThat(r.get("status")).as(r.get("raw")).isEqualTo("200");
      soft.assertThat(r.get("sni")).as(r.get("raw")).isEqualTo("alias.external.test");
      soft.assertThat(r.get("host")).as(r.get("raw")).startsWith(SIMPLE_HOST);
    }
    soft.assertAll();
  }

  /**
   * A file of the rule that cannot be used when the agent first needs it (here: caCertificates
   * overwritten with no certificate after the policy was accepted) fails the call, 503 UF, through
   * every client: never plain text and never the JVM's default trust instead. Once the file is good
   * again, the calls go out over TLS again.
   */
  @Test
  @Order(4)
  void aRuleFileThatCannotBeReadAtRunTimeFailsTheCall503UF() throws Exception {
    SoftAssertions soft = new SoftAssertions();
    Path copy = certs.resolve("ca-runtime.pem");
    Files.copy(certs.resolve("ca.pem"), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    apply("simple.yaml", destinationRule("simple", SIMPLE_HOST, "mode: SIMPLE\ncaCertificates: " + copy));
    Files.writeString(copy, "not a certificate\n");
    int before = simpleServed.get();
    for (String client : CLIENTS) {
      Map<String, String> r = call(client, "http://" + SIMPLE_HOST + "/");
      soft.assertThat(r.get("status")).as("caCertificates unreadable: " + r.get("raw")).isEqualTo("503");
      soft.assertThat(r.get("reason")).as(r.get("raw")).isEqualTo("UF");
    }
    soft.assertThat(simpleServed.get()).as("nothing reached the server").isEqualTo(before);
    Files.copy(certs.resolve("ca.pem"), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    for (String client : CLIENTS) {
      Map<String, String> r = call(client, "http://" + SIMPLE_HOST + "/");
      soft.assertThat(r.get("status")).as("caCertificates good again: " + r.get("raw")).isEqualTo("200");
      soft.assertThat(r.get("sni")).as(r.get("raw")).isEqualTo(SIMPLE_HOST);
    }
    soft.assertAll();
  }

  @Test
  @Order(5)
  void mutualPresentsTheConfiguredClientCertificate() {
    SoftAssertions soft = new SoftAssertions();
    String serial = clientCert.getSerialNumber().toString(16);
    for (String client : CLIENTS) {
      Map<String, String> r = call(client, "http://" + MUTUAL_HOST + "/");
      soft.assertThat(r.get("status")).as(r.get("raw")).isEqualTo("200");
      soft.assertThat(r.get("served-by")).as(r.get("raw")).isEqualTo("mutual");
      soft.assertThat(r.get("client-serial")).as("the certificate of clientCertificate: " + r.get("raw")).isEqualTo(serial);
      soft.assertThat(r.get("sni")).as(r.get("raw")).isEqualTo(MUTUAL_HOST);
      soft.assertThat(r.get("host")).as(r.get("raw")).startsWith(MUTUAL_HOST);
    }
    // SIMPLE presents no certificate: the server that requires one refuses, and serves nothing
    // (also not on a connection pooled under the MUTUAL rule)
    apply("mutual.yaml", destinationRule("mutual", MUTUAL_HOST, "mode: SIMPLE\ncaCertificates: " + certs.resolve("ca.pem")));
    int before = mutualServed.get();
    for (String client : CLIENTS) {
      Map<String, String> r = call(client, "http://" + MUTUAL_HOST + "/");
      // under TLS 1.3 the server checks the client's certificate after the client's handshake is
      // done: its refusal arrives as a reset of the request (503 UC), or, when the JDK HttpsServer
      // leaves the refused connection open, as the application's own timeout; never an answer
      soft.assertThat(r.get("status")).as(r.get("raw")).isNotEqualTo("200");
      soft.assertThat(r.get("served-by")).as(r.get("raw")).isNull();
    }
    soft.assertThat(mutualServed.get()).as("the MUTUAL server served no SIMPLE call").isEqualTo(before);
    apply("mutual.yaml", destinationRule("mutual", MUTUAL_HOST, mutualTls()));
    for (String client : CLIENTS) {
      Map<String, String> again = call(client, "http://" + MUTUAL_HOST + "/");
      soft.assertThat(again.get("status")).as(again.get("raw")).isEqualTo("200");
    }
    soft.assertAll();
  }

  /**
   * Replacing the clientCertificate/privateKey files (a renewal) reaches every client's next new
   * connection without a policy change (the files are looked at again at most once a second, also
   * while calls keep coming); {@code /close} makes the server close each connection after its answer,
   * so the calls below need new ones.
   */
  @Test
  @Order(6)
  void aRenewedClientCertificateReachesEveryClientsNewConnections() throws Exception {
    Issued renewed = leaf(clientCa, "inmesh-egress-client-renewed", null);
    String serial = renewed.cert().getSerialNumber().toString(16);
    Files.writeString(certs.resolve("client.pem"), pem("CERTIFICATE", renewed.cert().getEncoded()) + pem("CERTIFICATE", clientCa.cert().getEncoded()));
    Files.writeString(certs.resolve("client-key.pem"), pem("PRIVATE KEY", renewed.keys().getPrivate().getEncoded()));
    java.nio.file.attribute.FileTime later = java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(5));
    Files.setLastModifiedTime(certs.resolve("client.pem"), later);
    Files.setLastModifiedTime(certs.resolve("client-key.pem"), later);
    SoftAssertions soft = new SoftAssertions();
    for (String client : CLIENTS) {
      Map<String, String> r = Map.of();
      for (int i = 0; i < 40 && !serial.equals(r.get("client-serial")); i++) { // bounded; kept-alive connections of the old certificate are used up first
        if (i > 0) {
          Thread.sleep(100);
        }
        r = call(client, "http://" + MUTUAL_HOST + "/close");
        soft.assertThat(r.get("status")).as(r.get("raw")).isEqualTo("200");
      }
      soft.assertThat(r.get("client-serial")).as("the renewed certificate: " + r.get("raw")).isEqualTo(serial);
    }
    soft.assertAll();
  }

  @Test
  @Order(7)
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
