package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Reactor Netty originates mesh mTLS (issue 11), as most code configures it: Spring's
 * {@code WebClient} and the bare {@code HttpClient.create()} (pooled), and {@code RestClient} over
 * Reactor Netty, with {@code http://} URLs, in an unmodified application (apps/tasks/TaskCallerApp)
 * on Reactor Netty 1.2 (Netty 4.1) and 1.3 (Netty 4.2), BlockHound installed in both.
 *
 * <p>Istio's pages it follows: auto mTLS
 * (https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#auto-mutual-tls: mTLS to
 * workloads that take part in it, plain text to the rest), PeerAuthentication with
 * {@code portLevelMtls} (https://istio.io/latest/docs/reference/config/security/peer_authentication/),
 * DestinationRule {@code tls} modes and {@code subjectAltNames}
 * (https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings),
 * secure naming (https://istio.io/latest/docs/concepts/security/#secure-naming) and the XFCC the
 * server's side hands on
 * (https://istio.io/latest/docs/ops/configuration/traffic-management/network-topologies/).
 *
 * <p>Its own fleet, beside {@link MtlsSmokeTest}'s (addresses 127.0.34.x): a control plane with a CA
 * and join tokens, the two callers, one unmodified JDK HttpServer backend with three listeners —
 * 8080 STRICT (the mesh-wide policy), 8081 DISABLE and 8082 PERMISSIVE (its {@code portLevelMtls})
 * — and a plain HttpServer in this JVM as the non-mesh host.
 */
@Shows(feature = "mtls", value = {"reactor-netty", "webclient"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ReactorNettyMtlsSmokeTest {
  static final String CONTROL = "127.0.34.1:15010";
  /** The caller on Reactor Netty 1.2 / Netty 4.1 (Spring Boot 3.5's line). */
  static final String CALLER = "127.0.34.10";
  /** The caller on Reactor Netty 1.3 / Netty 4.2 (Spring Boot 4's line). */
  static final String CALLER_13 = "127.0.34.13";
  static final String BACKEND = "127.0.34.11";
  static final String NON_MESH = "127.0.34.20";
  static final String TD = "spiffe://cluster.local/ns/default/sa/";
  /** On Reactor Netty 1.2 every Reactor client; on 1.3 (the same adapter, Netty 4.2) WebClient and the bare client. */
  static final List<String> CLIENTS = List.of("webclient", "reactor-netty", "restclient");
  static final List<String> CLIENTS_13 = List.of("webclient", "reactor-netty");
  static final String FORGED = "By=spiffe://cluster.local/ns/default/sa/forger;Hash=00;Subject=\"\";URI=spiffe://cluster.local/ns/default/sa/admin";

  static final String POLICIES = """
      # mesh-wide STRICT in the root namespace (the end state of Istio's "Mutual TLS Migration" task)
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: default
        namespace: istio-system
      spec:
        mtls:
          mode: STRICT
      ---
      # the callers take plain text from this test
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: reactor-caller
        namespace: default
      spec:
        selector:
          matchLabels:
            app: reactor-caller
        mtls:
          mode: PERMISSIVE
      ---
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: mtls-backend
        namespace: default
      spec:
        selector:
          matchLabels:
            app: mtls-backend
        mtls:
          mode: STRICT
        portLevelMtls:
          8081:
            mode: DISABLE
          8082:
            mode: PERMISSIVE
      """;

  final Path tmp = Smoke.workDir("ReactorNettyMtlsSmokeTest");
  final Path logs = Smoke.LOGS.resolve("reactor-netty-mtls");
  final MeshIdentityFleet fleet = new MeshIdentityFleet(tmp, logs, CONTROL);
  final HttpClient http = HttpClient.newHttpClient();
  final AtomicInteger nonMeshServed = fleet.nonMeshServed;
  final Path policies = fleet.policies;
  Proc controlPlane;
  Proc caller;
  Proc caller13;
  Proc backend;

  @BeforeAll
  void startFleet() throws Exception {
    Smoke.write(policies.resolve("peer-authentication.yaml"), POLICIES);
    // a token serves every JVM of its identity; both are made while the control plane starts
    controlPlane = fleet.startControlPlaneWithTokens("reactor-caller", "mtls-backend");
    String callerToken = fleet.tokens.get("reactor-caller");
    String backendToken = fleet.tokens.get("mtls-backend");

    backend = fleet.start("mtls-backend", env("mtls-backend", BACKEND, backendToken), plainApp("mtls.EchoBackendApp", BACKEND, "8080", "8081", "8082"));
    caller = fleet.start("reactor-caller", env("reactor-caller", CALLER, callerToken),
        ReactorNettyMeshSmokeTest.withBlockHound(Smoke.plainAppWithClientLibraries("tasks.TaskCallerApp", CALLER, "8080")));
    caller13 = fleet.start("reactor-caller-1.3", env("reactor-caller", CALLER_13, callerToken),
        ReactorNettyMeshSmokeTest.withBlockHound(ReactorNettyMeshSmokeTest.onReactorNetty13(Smoke.plainAppWithClientLibraries("tasks.TaskCallerApp", CALLER_13, "8080"))));
    for (Proc p : List.of(backend, caller, caller13)) {
      String address = p == backend ? BACKEND : p == caller ? CALLER : CALLER_13;
      Smoke.awaitReady(p, address);
      awaitTrue(p.name() + " listening", Duration.ofSeconds(180), () -> p.output().contains("listening on"), p);
      awaitTrue(p.name() + " identity", Duration.ofSeconds(60), () -> MtlsSmokeTest.identity(address).path("ready").asBoolean(), p, controlPlane);
    }
    for (String at : List.of(CALLER, CALLER_13)) {
      awaitTrue(at + " to see the backend with its identity and ports", Duration.ofSeconds(60), () -> {
        for (JsonNode s : Smoke.getJson("http://" + at + ":15000/config_dump").path("services")) {
          for (JsonNode e : s.path("endpoints")) {
            if (e.path("identity").asText().equals(TD + "mtls-backend") && e.path("ports").size() >= 3) {
              return true;
            }
          }
        }
        return false;
      }, caller, caller13, controlPlane);
    }

    // each caller's first calls install BlockHound and load (and have two agents transform) the
    // Reactor, Netty and TLS classes: paid here, with a bound of their own, not by the first test
    List<CompletableFuture<Void>> warming = new ArrayList<>();
    for (String at : List.of(CALLER, CALLER_13)) {
      warming.add(CompletableFuture.runAsync(() -> {
        for (String client : clients(at)) {
          call(at, client, "http://mtls-backend:8080/warm-up", 1, 150_000);
        }
      }));
    }
    for (CompletableFuture<Void> w : warming) {
      w.get(400, TimeUnit.SECONDS);
    }

    // the non-mesh host answers "xfcc=<the X-Forwarded-Client-Cert it received>"
    fleet.startNonMesh(NON_MESH, "");
  }

  /** A cache directory per JVM (two callers share the reactor-caller identity and its token). */
  Map<String, String> env(String service, String address, String token) {
    return fleet.env(service, "app=" + service, address, token, address);
  }

  @AfterAll
  void stopAll() {
    fleet.stop();
  }

  // ---- auto mTLS to a STRICT workload -----------------------------------------------------------

  @Test
  @Order(1)
  void webClientReachesAStrictWorkloadOverMtls_theXfccNamesTheCaller_autoMtls() throws Exception {
    for (String at : List.of(CALLER, CALLER_13)) {
      String xfcc = "By=" + TD + "mtls-backend;Hash=" + MeshIdentityFleet.sha256Hex(MeshIdentityFleet.leafOf(at)) + ";Subject=\"\";URI=" + TD + "reactor-caller";
      long overMtls = overMtls();
      long attemptsMtls = stats(at).path("security").path("upstreamAttemptsMtls").asLong();
      for (String client : clients(at)) {
        String who = client + "@" + at;
        // several calls on one pooled client: the TLS connection is kept alive and reused
        JsonNode calls = call(at, client, "http://mtls-backend:8080/hello", 3);
        assertThat(calls.path("statuses").toString()).as(who + " " + calls).isEqualTo("{\"200\":3}");
        for (JsonNode r : calls.path("results")) {
          assertThat(line(r, "service")).as(who).isEqualTo("mtls-backend");
          assertThat(line(r, "xfcc")).as(who + ": the XFCC the backend's side verified").isEqualTo(xfcc);
        }
        // a forged XFCC never reaches the application: the verified one replaces it
        JsonNode forged = call(at, client, "http://mtls-backend:8080/forged", 1, "X-Forwarded-Client-Cert:" + FORGED);
        assertThat(line(forged.path("results").get(0), "xfcc")).as(who + " " + forged).isEqualTo(xfcc);
      }
      int calls = 4 * clients(at).size();
      assertThat(overMtls() - overMtls).as(at + ": the backend took them over mTLS").isGreaterThanOrEqualTo(calls);
      assertThat(stats(at).path("security").path("upstreamAttemptsMtls").asLong() - attemptsMtls).as(at).isGreaterThanOrEqualTo(calls);
    }
  }

  // ---- plain text where the mesh does not do mTLS ---------------------------------------------------

  @Test
  @Order(2)
  void plainTextToADisabledPortAndToANonMeshHost_autoMtls() {
    for (String at : List.of(CALLER, CALLER_13)) {
      long overMtls = overMtls();
      for (String client : clients(at)) {
        String who = client + "@" + at;
        JsonNode disabled = call(at, client, "http://mtls-backend:8081/", 1);
        assertThat(disabled.path("statuses").toString()).as(who + " " + disabled).isEqualTo("{\"200\":1}");
        for (JsonNode r : disabled.path("results")) {
          assertThat(line(r, "listener")).as(who).isEqualTo(BACKEND + ":8081");
          assertThat(line(r, "xfcc")).as(who + ": portLevelMtls DISABLE: plain text, no XFCC").isEmpty();
        }
        int before = nonMeshServed.get();
        JsonNode external = call(at, client, "http://" + NON_MESH + ":8080/", 1);
        assertThat(external.path("statuses").toString()).as(who + " " + external).isEqualTo("{\"200\":1}");
        assertThat(line(external.path("results").get(0), "xfcc")).as(who).isEqualTo("null");
        assertThat(nonMeshServed.get()).as(who + ": this JVM's plain HttpServer parsed it: plain text").isEqualTo(before + 1);
      }
      assertThat(overMtls()).as(at + ": none of those came over mTLS").isEqualTo(overMtls);
    }
  }

  // ---- pools: TLS and plain apart, per expected identity ---------------------------------------------

  static String destinationRule(String tls) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: mtls-backend
          namespace: default
        spec:
          host: mtls-backend
          trafficPolicy:
            tls:
        """ + tls.indent(6);
  }

  void applyDestinationRule(String tls) {
    Smoke.applyPolicy(policies.resolve("destination-rule.yaml"), destinationRule(tls), List.of(CALLER, CALLER_13), caller, caller13, controlPlane);
  }

  /**
   * On the PERMISSIVE port, which serves both: kept-alive TLS connections are not reused once the
   * route says plain text (DestinationRule {@code DISABLE}), nor plain ones once it says mTLS again
   * ({@code ISTIO_MUTUAL}): the XFCC the backend sees tells which connection carried each call.
   */
  @Test
  @Order(3)
  void tlsAndPlainConnectionsArePooledApart_destinationRuleDisableThenIstioMutual() {
    String url = "http://mtls-backend:8082/";
    for (String at : List.of(CALLER, CALLER_13)) {
      for (String client : clients(at)) {
        JsonNode auto = call(at, client, url, 1);
        assertThat(auto.path("statuses").toString()).as(client + "@" + at + " " + auto).isEqualTo("{\"200\":1}");
        assertThat(line(auto.path("results").get(0), "xfcc")).as(client + "@" + at + ": auto mTLS").endsWith("URI=" + TD + "reactor-caller");
      }
    }
    applyDestinationRule("mode: DISABLE");
    for (String at : List.of(CALLER, CALLER_13)) {
      for (String client : clients(at)) {
        JsonNode plain = call(at, client, url, 1);
        assertThat(plain.path("statuses").toString()).as(client + "@" + at + " " + plain).isEqualTo("{\"200\":1}");
        for (JsonNode r : plain.path("results")) {
          assertThat(line(r, "xfcc")).as(client + "@" + at + ": DISABLE: plain text, not the kept-alive TLS connection").isEmpty();
        }
      }
    }
    applyDestinationRule("mode: ISTIO_MUTUAL");
    for (String at : List.of(CALLER, CALLER_13)) {
      for (String client : clients(at)) {
        JsonNode mtls = call(at, client, url, 1);
        assertThat(mtls.path("statuses").toString()).as(client + "@" + at + " " + mtls).isEqualTo("{\"200\":1}");
        for (JsonNode r : mtls.path("results")) {
          assertThat(line(r, "xfcc")).as(client + "@" + at + ": ISTIO_MUTUAL: mTLS, not the kept-alive plain connection").endsWith("URI=" + TD + "reactor-caller");
        }
      }
    }
  }

  /**
   * A server whose SPIFFE ID is not one the destination may present (here: not the one the
   * DestinationRule's {@code subjectAltNames} names) is refused in the handshake: 503 UF, never
   * plain text instead, and kept-alive TLS connections verified for the other identity are not
   * reused for it.
   */
  @Test
  @Order(4)
  void aServerPresentingAnotherIdentityIsRefused_503UF_neverPlainText_secureNaming() {
    applyDestinationRule("mode: ISTIO_MUTUAL\nsubjectAltNames: [\"" + TD + "someone-else\"]");
    int served = served();
    for (String at : List.of(CALLER, CALLER_13)) {
      for (String client : clients(at)) {
        for (String url : List.of("http://mtls-backend:8080/", "http://mtls-backend:8082/")) {
          JsonNode refused = call(at, client, url, 1);
          JsonNode r = refused.path("results").get(0);
          assertThat(r.path("status").asText()).as(client + "@" + at + " " + url + ": " + refused).isEqualTo("503");
          assertThat(r.path("reason").asText()).as(client + "@" + at).isEqualTo("UF");
        }
      }
    }
    assertThat(served()).as("the backend served none of them (no plain-text fallback on its PERMISSIVE port)").isEqualTo(served);
    applyDestinationRule("mode: ISTIO_MUTUAL\nsubjectAltNames: [\"" + TD + "mtls-backend\"]");
    for (String at : List.of(CALLER, CALLER_13)) {
      for (String client : clients(at)) {
        JsonNode ok = call(at, client, "http://mtls-backend:8080/", 1);
        assertThat(ok.path("statuses").toString()).as(client + "@" + at + " " + ok).isEqualTo("{\"200\":1}");
        assertThat(line(ok.path("results").get(0), "xfcc")).endsWith("URI=" + TD + "reactor-caller");
      }
    }
  }

  @Test
  @Order(99)
  void noInternalErrors_andBlockHoundSawNoBlockingCallOfTheMesh() {
    for (String at : List.of(CALLER, CALLER_13)) {
      assertThat(stats(at).path("internalErrors").asLong()).as("inmesh's own errors in the caller " + at).isZero();
    }
    ReactorNettyMeshSmokeTest.noBlockingWithInmeshOnTheStack(caller);
    ReactorNettyMeshSmokeTest.noBlockingWithInmeshOnTheStack(caller13);
  }

  // ---- helpers -------------------------------------------------------------------------------------

  static List<String> clients(String at) {
    return at.equals(CALLER) ? CLIENTS : CLIENTS_13;
  }

  /** {@code n} calls of {@code url} by the caller at {@code at} with {@code client}, one at a time; TaskCallerApp's JSON answer. */
  JsonNode call(String at, String client, String url, int n, String... headers) {
    return call(at, client, url, n, 60_000, headers);
  }

  JsonNode call(String at, String client, String url, int n, long timeoutMs, String... headers) {
    StringBuilder u = new StringBuilder("http://" + at + ":8080/call?client=" + client + "&n=" + n + "&timeoutMs=" + timeoutMs + "&url=" + URLEncoder.encode(url, StandardCharsets.UTF_8));
    for (String h : headers) {
      u.append("&h=").append(URLEncoder.encode(h, StandardCharsets.UTF_8));
    }
    try {
      HttpResponse<String> r = http.send(
          HttpRequest.newBuilder(URI.create(u.toString())).timeout(Duration.ofMillis(n * timeoutMs + 60_000)).build(), HttpResponse.BodyHandlers.ofString());
      return Smoke.JSON.readTree(r.body());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError("GET " + u + " failed: " + e + "\n" + (at.equals(CALLER) ? caller : caller13).tail(40), e);
    }
  }

  /** A {@code key=value} line of the backend's answer in one result, or null. */
  static String line(JsonNode result, String key) {
    for (String l : result.path("body").asText().split("\n")) {
      if (l.startsWith(key + "=")) {
        return l.substring(key.length() + 1);
      }
    }
    return null;
  }

  static JsonNode stats(String at) {
    return Smoke.getJson("http://" + at + ":15000/stats");
  }

  static long overMtls() {
    return stats(BACKEND).path("inbound").path("requestsOverMtls").asLong();
  }

  /** Requests the backend's application served, read on its DISABLE port. */
  static int served() {
    String count = Smoke.get("http://" + BACKEND + ":8081/count");
    return Integer.parseInt(count.trim().substring("served=".length()));
  }
}
