package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * DestinationRule fields that live on the client's connections and cookies (istio.io
 * DestinationRule reference, https://istio.io/latest/docs/reference/config/networking/destination-rule/):
 * {@code connectionPool.http.maxRequestsPerConnection}, {@code tcp.maxConnectionDuration} and
 * {@code http.idleTimeout} through every JDK client, seen from the upstream's side (it reports the
 * client connection each request came on), and {@code consistentHash.httpCookie} with a
 * {@code ttl}, where the mesh makes the cookie up and sets it on the response.
 *
 * <p>Unmodified apps: {@code caller} (apps/tasks/TaskCallerApp) calls {@code backend} (two
 * endpoints, apps/tasks/TaskBackendApp). An {@code x-case} header picks a subset holding one
 * endpoint whose trafficPolicy carries one connectionPool setting; without it a call goes to
 * either endpoint, by the cookie. Clients with pools of their own run side by side (the default
 * HttpClient, the HTTP/1.1 one, HttpURLConnection), then the async ones on the same clients. No
 * assertion reads a clock: the idle and duration cases pause the calls well past the limit, and
 * count connections.
 */
@Shows(feature = "suite", value = {"jdk", "huc"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ConnectionLifetimeSmokeTest {
  static final Duration STARTUP = Duration.ofSeconds(240);
  static final String CP = "127.0.24.9:15010";
  static final String CALLER = "127.0.24.10";
  static final List<String> BACKENDS = List.of("127.0.24.11", "127.0.24.12");
  static final List<String> CLIENTS = List.of("jdk", "jdk-async", "jdk-http1", "jdk-http1-async", "huc");
  /** Clients with a connection pool each, run side by side; then the async ones (sharing the first two's pools). */
  static final List<List<String>> GROUPS = List.of(List.of("jdk", "jdk-http1", "huc"), List.of("jdk-async", "jdk-http1-async"));

  static final String POLICY =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: backend
      spec:
        hosts: [backend]
        http:
        - match:
          - headers: {x-case: {exact: per-connection}}
          route:
          - destination: {host: backend, subset: per-connection}
        - match:
          - headers: {x-case: {exact: duration}}
          route:
          - destination: {host: backend, subset: duration}
        - match:
          - headers: {x-case: {exact: idle}}
          route:
          - destination: {host: backend, subset: idle}
        - match:
          - headers: {x-case: {exact: tcp-idle}}
          route:
          - destination: {host: backend, subset: tcp-idle}
        - match:
          - headers: {x-case: {exact: restricted}}
          headers:
            request:
              set: {host: elsewhere, connection: close}
          route:
          - destination: {host: backend, subset: plain}
        - match:
          - headers: {x-case: {exact: none}}
          route:
          - destination: {host: backend, subset: plain}
        - route:
          - destination: {host: backend}
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata:
        name: backend
      spec:
        host: backend
        trafficPolicy:
          loadBalancer:
            consistentHash:
              httpCookie: {name: session, path: /, ttl: 60s}
        subsets:
        - name: per-connection
          labels: {slot: a}
          trafficPolicy:
            connectionPool:
              http: {maxRequestsPerConnection: 2}
        - name: duration
          labels: {slot: a}
          trafficPolicy:
            connectionPool:
              tcp: {maxConnectionDuration: 1s}
        - name: idle
          labels: {slot: a}
          trafficPolicy:
            connectionPool:
              http: {idleTimeout: 1s}
        - name: tcp-idle
          labels: {slot: a}
          trafficPolicy:
            connectionPool:
              tcp: {idleTimeout: 1s}
        - name: plain
          labels: {slot: a}
      ---
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata:
        name: blackhole
      spec:
        hosts: [blackhole.internal.example]
        location: MESH_INTERNAL
        ports: [{number: 80, name: http, protocol: HTTP, targetPort: 18080}]
        resolution: STATIC
        endpoints:
        - {address: 127.0.24.20}
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata:
        name: blackhole
      spec:
        host: blackhole.internal.example
        trafficPolicy:
          connectionPool:
            tcp: {connectTimeout: 100ms}
      """;

  final Path tmp = Smoke.workDir("ConnectionLifetimeSmokeTest");
  final List<Proc> apps = new ArrayList<>();
  Proc controlPlane;
  Proc caller;

  @BeforeAll
  void startMesh() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("connection-lifetime");
    Smoke.write(policies.resolve("backend.yaml"), POLICY);
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("control-data"), logs, "60s");
    String control = "http://" + CP;
    for (int i = 0; i < BACKENDS.size(); i++) {
      String a = BACKENDS.get(i);
      Map<String, String> env = inmeshEnv("backend", "app=backend,slot=" + (char) ('a' + i), a, control, tmp.resolve("cache-backend"));
      apps.add(meshed("backend-" + a, env, logs, plainApp("tasks.TaskBackendApp", a, "8080")));
    }
    caller = meshed("caller", inmeshEnv("caller", "app=caller", CALLER, control, tmp.resolve("cache-caller")), logs, plainApp("tasks.TaskCallerApp", CALLER, "8080"));
    apps.add(caller);
    List<String> addresses = new ArrayList<>(BACKENDS);
    addresses.add(CALLER);
    for (int i = 0; i < apps.size(); i++) {
      awaitReady(apps.get(i), addresses.get(i), STARTUP);
    }
    for (Proc app : apps) {
      awaitTrue(app.name() + " listening", STARTUP, () -> app.output().contains("listening on"), app);
    }
    awaitTrue(
        "the caller's snapshot to hold both backend endpoints",
        Duration.ofSeconds(30),
        () -> Smoke.endpointsSeenBy(CALLER).getOrDefault("backend", List.of()).size() == 2,
        caller,
        controlPlane);
  }

  @AfterAll
  void stopMesh() {
    Proc.stopAll(apps);
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  @Test
  @Order(1)
  void withoutAConnectionPoolEveryClientKeepsOneConnectionForSequentialCalls() {
    forEachClient(client -> {
      List<String> peers = peers(call(client, 6, 0, "x-case:none"), client);
      assertThat(count(peers)).as(client + ": connections of 6 sequential calls " + peers).hasSize(1);
    });
  }

  @Test
  @Order(2)
  void maxRequestsPerConnection_istioDestinationRuleReference_closesEachConnectionAfterTwoRequests() {
    forEachClient(client -> {
      List<String> peers = peers(call(client, 6, 0, "x-case:per-connection"), client);
      Map<String, Integer> perConnection = count(peers);
      assertThat(perConnection.values()).as(client + ": requests per connection " + peers).allMatch(n -> n <= 2);
      assertThat(perConnection).as(client + ": connections of 6 sequential calls " + peers).hasSize(3);
    });
  }

  @Test
  @Order(3)
  void maxConnectionDuration_istioDestinationRuleReference_replacesAConnectionOlderThanOneSecond() {
    forEachClient(client -> {
      // seven calls 300 ms apart: never idle for long, but the calls span about two seconds
      List<String> peers = peers(call(client, 7, 300, "x-case:duration"), client);
      assertThat(count(peers)).as(client + ": connections of calls spanning past maxConnectionDuration " + peers).hasSizeGreaterThanOrEqualTo(2);
    });
  }

  @Test
  @Order(4)
  void idleTimeout_istioDestinationRuleReference_aConnectionIdleLongerIsNotReused() {
    forEachClient(client -> {
      // 2 s apart: past the route's 1 s idle timeout (http.idleTimeout, then tcp.idleTimeout), well
      // within every JDK client's own keep-alive (HttpURLConnection: 5 s, HttpClient: 30 s on Java
      // 25, 1200 s on Java 17)
      for (String idle : List.of("idle", "tcp-idle")) {
        List<String> peers = peers(call(client, 2, 2000, "x-case:" + idle), client);
        assertThat(peers.get(1)).as(client + ", " + idle + ": the second call's connection " + peers).isNotEqualTo(peers.get(0));
      }
    });
  }

  @Test
  @Order(5)
  void consistentHashCookieWithTtl_istioDestinationRuleReference_theMeshSetsTheCookieAndLaterCallsStick() {
    forEachClient(client -> {
      for (int round = 0; round < 4; round++) {
        JsonNode first = call(client, 1, 0).path("results").get(0);
        assertThat(first.path("status").asText()).as(client + ": " + first).isEqualTo("200");
        String setCookie = first.path("setCookie").asText();
        // Envoy's shape: name="16 hex digits"; Max-Age=<ttl>; Path=<path>; HttpOnly
        assertThat(setCookie).as(client + ": Set-Cookie").matches("session=\"[0-9a-f]{16}\"; Max-Age=60; Path=/; HttpOnly");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        String endpoint = first.path("listener").asText();
        JsonNode later = call(client, 3, 0, "Cookie:" + cookie);
        assertThat(field(later, "status")).as(client).containsOnly("200");
        assertThat(field(later, "listener")).as(client + ": calls sending " + cookie + " stay where the first one went").containsOnly(endpoint);
        assertThat(field(later, "setCookie")).as(client + ": no new cookie while one is sent").containsOnly("");
      }
    });
  }

  @Test
  @Order(6)
  void connectTimeout_istioDestinationRuleReference_cutsAConnectOffBeforeTheApplicationsOwnTimeouts() throws Exception {
    // an endpoint that never completes a connect: a listener whose accept queue is full drops SYNs
    try (java.net.ServerSocket full = new java.net.ServerSocket()) {
      full.bind(new java.net.InetSocketAddress("127.0.24.20", 18080), 1);
      List<java.net.Socket> queued = new ArrayList<>();
      try {
        for (int i = 0; i < 8; i++) {
          java.net.Socket s = new java.net.Socket();
          try {
            s.connect(full.getLocalSocketAddress(), 300);
            queued.add(s);
          } catch (java.io.IOException e) {
            s.close();
            break; // the queue is full: connects hang from here on
          }
        }
        for (String client : CLIENTS) {
          // the application's own timeouts: connect 3 s, request (read) 2.5 s; the route's: 100 ms
          // a connect, two retries on connect-failure (Istio's default), then Envoy's 503 (UF)
          JsonNode r = Smoke.getJson("http://" + CALLER + ":8080/call?client=" + client + "&n=1&timeoutMs=2500&url="
              + URLEncoder.encode("http://blackhole.internal.example/", StandardCharsets.UTF_8));
          JsonNode result = r.path("results").get(0);
          assertThat(result.path("status").asText()).as(client + ": " + result).isEqualTo("503");
          assertThat(result.path("reason").asText()).as(client + ": " + result).isEqualTo("UF");
        }
      } finally {
        for (java.net.Socket s : queued) {
          s.close();
        }
      }
    }
  }

  @Test
  @Order(7)
  void aHeaderTheJdkClientRefusesIsSkippedQuietlyThereAndAppliedByHttpUrlConnection() {
    long errorsBefore = internalErrors();
    for (String client : CLIENTS) {
      JsonNode r = call(client, 1, 0, "x-case:restricted");
      JsonNode result = r.path("results").get(0);
      assertThat(result.path("status").asText()).as(client + ": " + result).isEqualTo("200");
      // java.net.http refuses Host and Connection from a request; HttpURLConnection's adapter edits its own header block
      assertThat(result.path("host").asText()).as(client + ": Host").isEqualTo(client.equals("huc") ? "elsewhere" : "backend");
    }
    assertThat(internalErrors()).as("a skipped operation is policy (validation warns), not an inmesh failure").isEqualTo(errorsBefore);
  }

  @Test
  @Order(8)
  void anAttemptEndsWhenTheApplicationIsDoneWithTheBody_notAtTheResponseHeaders() throws Exception {
    // HttpURLConnection (the body-done signal is HttpClient.finished()) and, for comparison, the JDK
    // HttpClient (its body subscriber's completion), at once: each holds its request active while
    // the backend still sends the body, which active-request counts and peak-EWMA must include
    List<String> clients = List.of("huc", "jdk-http1");
    List<java.util.concurrent.CompletableFuture<JsonNode>> running = new ArrayList<>();
    for (String client : clients) {
      running.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> Smoke.getJson("http://" + CALLER + ":8080/call?client=" + client
          + "&n=1&timeoutMs=20000&h=" + URLEncoder.encode("x-case:none", StandardCharsets.UTF_8)
          + "&url=" + URLEncoder.encode("http://backend/slowbody?ms=4000", StandardCharsets.UTF_8))));
    }
    awaitTrue("both responses to be in their bodies", Duration.ofSeconds(30), () -> backendControl(BACKENDS.get(0), "inbody").equals("2"), caller);
    Smoke.sleep(1000); // the clients read the headers long ago; the body has three more seconds to come
    assertThat(activeRequests()).as("requests in their body phase are active").isEqualTo(2);
    for (int i = 0; i < clients.size(); i++) {
      JsonNode r = running.get(i).get(90, TimeUnit.SECONDS);
      assertThat(field(r, "status")).as(clients.get(i) + ": " + r).containsOnly("200");
    }
    awaitTrue("no request active once the bodies were read", Duration.ofSeconds(10), () -> activeRequests() == 0, caller);
  }

  /**
   * A meshed {@code send} costs the JDK client no more hand-offs to its executor than the same call
   * without the mesh: the client runs a body subscriber's {@code getBody()} on the connection's own
   * thread only for its own trusted subscribers ({@code ofString} here), so a wrapper that is not one
   * added a trip to the executor and back to every meshed call (issue 13: the JDK pair's added
   * latency at light load). 40 calls each way, by the mesh name and by one endpoint's address on the
   * same kind of client; a hand-off per call would be 40 more. The slack is half that: by name the
   * calls are balanced over every endpoint, so the meshed client sets up more connections, a few
   * tasks each (CI once saw 181 against 175).
   */
  @Test
  @Order(9)
  void aMeshedSendHandsTheClientsExecutorNoMoreWorkThanTheSameSendWithoutTheMesh() {
    JsonNode meshed = handoffs("http://backend/echo");
    JsonNode plain = handoffs("http://" + BACKENDS.get(0) + ":8080/echo");
    assertThat(meshed.path("statuses").path("200").asInt()).as("meshed " + meshed).isEqualTo(40);
    assertThat(plain.path("statuses").path("200").asInt()).as("plain " + plain).isEqualTo(40);
    assertThat(meshed.path("tasks").asInt()).as("executor tasks for 40 meshed sends (" + plain.path("tasks") + " without the mesh)")
        .isLessThanOrEqualTo(plain.path("tasks").asInt() + 20);
  }

  static JsonNode handoffs(String url) {
    return Smoke.getJson("http://" + CALLER + ":8080/handoffs?n=40&url=" + URLEncoder.encode(url, StandardCharsets.UTF_8));
  }

  /** Active requests over every cluster of the caller's upstream stage (its /stats). */
  static long activeRequests() {
    long n = 0;
    for (JsonNode c : Smoke.getJson("http://" + CALLER + ":15000/stats").path("upstreams").path("clusters")) {
      n += c.path("activeRequests").asLong();
    }
    return n;
  }

  static String backendControl(String address, String what) {
    return Smoke.get("http://" + address + ":8080/control/" + what).trim();
  }

  static long internalErrors() {
    return Smoke.getJson("http://" + CALLER + ":15000/stats").path("internalErrors").asLong(-1);
  }

  // ---- helpers -----------------------------------------------------------------------------------

  /**
   * Runs {@code check} for every client: those with pools of their own side by side (the caller
   * serves 4 requests at a time), so that connection counts stay per client. Failures are
   * reported together.
   */
  static void forEachClient(java.util.function.Consumer<String> check) {
    List<String> failures = new ArrayList<>();
    for (List<String> group : GROUPS) {
      List<java.util.concurrent.CompletableFuture<Void>> running = new ArrayList<>();
      for (String client : group) {
        running.add(java.util.concurrent.CompletableFuture.runAsync(() -> check.accept(client)));
      }
      for (int i = 0; i < running.size(); i++) {
        try {
          running.get(i).get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
          failures.add(group.get(i) + ": " + (e.getCause() != null ? e.getCause().getMessage() : e));
        }
      }
    }
    assertThat(failures).as(String.join("\n", failures)).isEmpty();
  }

  /** Asks the caller to call http://backend/echo n times in sequence, pauseMs apart. */
  static JsonNode call(String client, int n, long pauseMs, String... headers) {
    StringBuilder url = new StringBuilder("http://" + CALLER + ":8080/call?client=" + client + "&n=" + n + "&concurrency=1&timeoutMs=20000&pauseMs=" + pauseMs);
    url.append("&url=").append(URLEncoder.encode("http://backend/echo", StandardCharsets.UTF_8));
    for (String h : headers) {
      url.append("&h=").append(URLEncoder.encode(h, StandardCharsets.UTF_8));
    }
    return Smoke.getJson(url.toString());
  }

  static List<String> peers(JsonNode calls, String client) {
    assertThat(field(calls, "status")).as(client + ": " + calls).containsOnly("200");
    List<String> peers = field(calls, "peer");
    assertThat(peers).as(client + ": every answer names its client connection").allMatch(p -> p.matches("[0-9.]+:[0-9]+"));
    return peers;
  }

  static Map<String, Integer> count(List<String> peers) {
    Map<String, Integer> m = new LinkedHashMap<>();
    peers.forEach(p -> m.merge(p, 1, Integer::sum));
    return m;
  }

  static List<String> field(JsonNode calls, String name) {
    List<String> out = new ArrayList<>();
    for (JsonNode r : calls.path("results")) {
      out.add(r.path(name).asText());
    }
    return out;
  }
}
