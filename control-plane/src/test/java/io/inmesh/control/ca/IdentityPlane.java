package io.inmesh.control.ca;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.control.ControlPlane;
import io.inmesh.control.ControlPlaneConfig;
import io.inmesh.control.EventLog;
import io.inmesh.control.token.TokenCommand;
import io.inmesh.policy.tree.JsonTrees;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A real control plane issuing identities (plain loopback listener and a TLS listener), and the calls tests make. */
final class IdentityPlane implements AutoCloseable {

  static final String HOST = "127.0.0.9";

  final Path dataDir;
  final ControlPlane plane;
  final List<String> log = new CopyOnWriteArrayList<>();
  private final HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(15)).build();

  IdentityPlane(Path policyDir, Path dataDir, Duration certTtl, String trustDomain) throws IOException {
    this.dataDir = dataDir;
    ControlPlaneConfig config =
        new ControlPlaneConfig(HOST, 0, policyDir, dataDir, "default", Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ZERO);
    this.plane =
        ControlPlane.start(
            config,
            new IdentityAuthority.Settings(dataDir, trustDomain, certTtl, null, null, HOST, 0, List.of(HOST)),
            new EventLog(line -> {
              log.add(line);
              System.out.println(line);
            }));
  }

  /** What {@code inmesh token create} prints. */
  String token(String namespace, String serviceAccount, String ttl) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        TokenCommand.run(
            new String[] {"create", "--data-dir", dataDir.toString(), "--namespace", namespace, "--service-account", serviceAccount, "--ttl", ttl},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(printed.lines()).as("the token alone on stdout").hasSize(1);
    return printed.trim();
  }

  void revoke(String tokenOrId) {
    int code = TokenCommand.run(new String[] {"revoke", "--data-dir", dataDir.toString(), tokenOrId}, System.out, System.err);
    assertThat(code).isZero();
  }

  HttpResponse<String> post(String path, String bearer, String body) {
    return send(plain, plane.baseUri(), path, bearer, body);
  }

  HttpResponse<String> postTls(HttpClient tls, String path, String bearer, String body) {
    return send(tls, plane.tlsUri(), path, bearer, body);
  }

  HttpResponse<String> get(String path) {
    return send(plain, plane.baseUri(), path, null, null);
  }

  static HttpResponse<String> send(HttpClient client, URI base, String path, String bearer, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path.substring(1))).timeout(Duration.ofSeconds(10));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    b.method(body == null ? "GET" : path.startsWith("/v1/policy") && body.equals("DELETE") ? "DELETE" : "POST",
        body == null || body.equals("DELETE") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Sends {@code csrPem} with a join token; returns the response. */
  HttpResponse<String> sign(String token, String csrPem) {
    return post("/v1/certificate", token, new String(JsonTrees.write(Map.of("csr", csrPem)), StandardCharsets.UTF_8));
  }

  static Map<String, Object> json(HttpResponse<String> r) {
    try {
      return JsonTrees.readObject(r.body().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.body(), e);
    }
  }

  @SuppressWarnings("unchecked")
  static List<X509Certificate> certs(Map<String, Object> answer, String field) throws IOException {
    List<X509Certificate> out = new ArrayList<>();
    for (String pem : (List<String>) answer.get(field)) {
      out.addAll(Pem.readCertificates(pem, field));
    }
    return out;
  }

  /** A TLS client trusting {@code roots}, presenting {@code keys}+{@code chain} when given. */
  static HttpClient tlsClient(List<X509Certificate> roots, KeyPair keys, List<X509Certificate> chain) throws Exception {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tlsContext(roots, keys, chain)).connectTimeout(Duration.ofSeconds(15)).build();
  }

  static SSLContext tlsContext(List<X509Certificate> roots, KeyPair keys, List<X509Certificate> chain) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    for (int i = 0; i < roots.size(); i++) {
      trust.setCertificateEntry("root" + i, roots.get(i));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    if (keys != null) {
      ks.setKeyEntry("me", keys.getPrivate(), new char[0], chain.toArray(new X509Certificate[0]));
    }
    kmf.init(ks, new char[0]);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  static void eventually(Duration max, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("timed out after " + max.toMillis() + " ms waiting for " + what);
  }

  @Override
  public void close() {
    plane.close();
  }
}
