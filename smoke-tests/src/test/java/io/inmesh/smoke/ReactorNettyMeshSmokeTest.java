package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
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
 * The Reactor Netty adapter (issue 14) on an unmodified application: the task caller
 * (apps/tasks/TaskCallerApp) calls {@code reviews} through Spring's {@code WebClient} over Reactor
 * Netty, configured as the seed's {@code MeshClientConfig.meshAwareWebClient}, and through the bare
 * Reactor Netty {@code HttpClient}; v1 and v2 have two endpoints each. BlockHound is installed in
 * the caller and every call is subscribed on a Reactor parallel thread, so a blocking call anywhere
 * in the mesh's part of a call (start-up wait, decision, admission, delay, backoff, response
 * handling on the event loop) is caught and printed; the last test reads that.
 *
 * <p>The Istio task pages run through the same two clients in {@link IstioTaskPagesSmokeTest}.
 */
@Shows(feature = "suite", value = {"reactor-netty", "webclient"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class ReactorNettyMeshSmokeTest {
  static final Duration STARTUP = Duration.ofSeconds(300);
  static final String CP = "127.0.21.20:15010";
  static final String CALLER = "127.0.21.21";
  /** A second caller on the Spring Boot 4 line's libraries: Spring Framework 7, Reactor Netty 1.3, Netty 4.2. */
  static final String CALLER_13 = "127.0.21.26";
  static final List<String> V1 = List.of("127.0.21.22", "127.0.21.23");
  static final List<String> V2 = List.of("127.0.21.24", "127.0.21.25");
  static final List<String> CLIENTS = List.of("webclient", "reactor-netty");
  /** Also RestClient over Spring's ReactorClientHttpRequestFactory (blocking: not in the cancellation test). */
  static final List<String> ALL_CLIENTS = List.of("webclient", "reactor-netty", "restclient");
  /** What apps/tasks/ReactorCalls prints (the caller's output is the test's only view of BlockHound). */
  static final String BLOCKED = "[blockhound] blocking call on a non-blocking thread:";
  static final String LIVE = "[blockhound] installed; a probe sleep on a parallel thread was caught";

  final Path tmp = Smoke.workDir("ReactorNettyMeshSmokeTest");
  final List<Proc> apps = new ArrayList<>();
  final HttpClient http = HttpClient.newHttpClient();
  Path policies;
  Proc controlPlane;
  Proc caller;
  Proc caller13;
  JsonNode earlyCall;

  @BeforeAll
  void startMesh() throws Exception {
    policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("reactor-netty");
    Smoke.write(policies.resolve("reviews.yaml"), seedCanary() + "---\n" + subsets(""));
    String control = "http://" + CP;
    // the caller first, before any control plane: its first call waits for the first snapshot
    Map<String, String> callerEnv = inmeshEnv("productpage", "app=productpage", CALLER, control, tmp.resolve("cache-productpage"));
    callerEnv.put("INMESH_STARTUP_WAIT", "240s");
    caller = meshed("productpage", callerEnv, logs, withBlockHound(Smoke.plainAppWithClientLibraries("tasks.TaskCallerApp", CALLER, "8080")));
    apps.add(caller);
    awaitTrue("caller listening", STARTUP, () -> caller.output().contains("task caller listening on"), caller);
    CompletableFuture<JsonNode> early = CompletableFuture.supplyAsync(() -> callJson("webclient", "/reviews/0", 1, 1, 250_000));
    // the control plane starts only once that call is seen waiting for the first snapshot
    awaitTrue("the early call waiting for the first snapshot", STARTUP, () -> startupWaits() > 0, caller);
    caller13 = meshed("productpage-reactor-netty-1.3", inmeshEnv("productpage", "app=productpage", CALLER_13, control, tmp.resolve("cache-productpage-13")), logs, withBlockHound(onReactorNetty13(Smoke.plainAppWithClientLibraries("tasks.TaskCallerApp", CALLER_13, "8080"))));
    apps.add(caller13);
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("control-data"), logs, "60s");
    for (String version : List.of("v1", "v2")) {
      List<String> addresses = version.equals("v1") ? V1 : V2;
      for (int i = 0; i < addresses.size(); i++) {
        Map<String, String> env = inmeshEnv("reviews", "app=reviews,version=" + version, addresses.get(i), control, tmp.resolve("cache-reviews"));
        env.put("APP_VERSION", version);
        apps.add(meshed("reviews-" + version + "-" + i, env, logs, plainApp("tasks.TaskBackendApp", addresses.get(i), "8080")));
      }
    }
    List<String> all = all();
    for (int i = 0; i < all.size(); i++) {
      awaitReady(apps.get(i + 2), all.get(i), STARTUP);
    }
    awaitReady(caller, CALLER, STARTUP);
    awaitReady(caller13, CALLER_13, STARTUP);
    for (Proc app : apps) {
      awaitTrue(app.name() + " listening", STARTUP, () -> app.output().contains("listening on"), app);
    }
    awaitTrue(
        "the caller's snapshot to hold the four reviews endpoints",
        Duration.ofSeconds(60),
        () -> Smoke.endpointsSeenBy(CALLER).getOrDefault("reviews", List.of()).size() == 4
            && Smoke.endpointsSeenBy(CALLER_13).getOrDefault("reviews", List.of()).size() == 4,
        caller,
        caller13,
        controlPlane);
    earlyCall = early.get(300, TimeUnit.SECONDS);
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
  void startupWait_aWebClientCallMadeBeforeTheFirstSnapshotWaitsForItAndIsRouted() {
    // the call was made before any control plane ran; passing through would have failed to resolve
    // "reviews" (status 0). Routed, it reached v1, or met an empty subset (503 UH) if the snapshot
    // came before the reviews endpoints registered. Either way the mesh decided, after the wait.
    JsonNode r = earlyCall.path("results").get(0);
    assertThat(r.path("status").asText()).as("the early call: " + r).isIn("200", "503");
    if (r.path("status").asText().equals("200")) {
      assertThat(r.path("version").asText()).isEqualTo("v1");
      assertThat(r.path("host").asText()).isEqualTo("reviews");
    } else {
      assertThat(r.path("reason").asText()).isEqualTo("UH");
    }
    assertThat(earlyCall.path("statuses").toString()).as("one call, answered").isIn("{\"200\":1}", "{\"503\":1}");
  }

  /**
   * The seed's canary VirtualService, verbatim (a lone destination gets 100% whatever its weight:
   * https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRouteDestination).
   */
  @Shows(feature = "canary", value = {"reactor-netty", "webclient"})
  @Test
  @Order(2)
  void seedCanary_100CallsPerHeaderValue_xCanaryTrueToV2AndTheRestToV1_twoEndpointsEachShareTheCalls_oneDecisionPerCall_onReactorNetty12And13() {
    for (String at : List.of(CALLER, CALLER_13)) {
    for (String client : ALL_CLIENTS) {
      String who = client + "@" + at;
      long routedBefore = stats(at).path("routed").asLong();
      JsonNode canary = callJson(at, client, "/reviews/0", 100, 4, 20_000, "x-canary:true");
      assertThat(canary.path("statuses").toString()).as(who + " x-canary: true").isEqualTo("{\"200\":100}");
      assertThat(field(canary, "version")).as(who + " x-canary: true").containsOnly("v2");
      assertThat(field(canary, "listener")).as(who + ": both v2 endpoints share the calls").contains(listener(V2.get(0)), listener(V2.get(1)));
      for (String value : new String[] {"false", null}) {
        JsonNode rest = value == null ? callJson(at, client, "/reviews/0", 100, 4, 20_000) : callJson(at, client, "/reviews/0", 100, 4, 20_000, "x-canary:" + value);
        assertThat(rest.path("statuses").toString()).as(who + " x-canary: " + value).isEqualTo("{\"200\":100}");
        assertThat(field(rest, "version")).as(who + " x-canary: " + value).containsOnly("v1");
        assertThat(field(rest, "listener")).as(who + ": both v1 endpoints share the calls").contains(listener(V1.get(0)), listener(V1.get(1)));
        assertThat(field(rest, "host")).as(who + ": the Host header keeps the logical name").containsOnly("reviews");
      }
      // WebClient over Reactor Netty is two layers; the mesh decides once per call
      assertThat(stats(at).path("routed").asLong() - routedBefore).as(who + ": mesh decisions for 300 calls").isEqualTo(300);
    }
    assertThat(stats(at).path("internalErrors").asLong()).as("inmesh's own errors in the caller " + at).isZero();
    }
  }

  /**
   * A cancelled subscription (the application's own {@code timeout()}) ends the attempt, whether
   * it was in flight or waiting for a pool slot: with a pool of one connection and one pending request
   * (https://istio.io/latest/docs/tasks/traffic-management/circuit-breaking/), calls the
   * application gave up on would otherwise hold the pool and the next calls would overflow (503 UO).
   */
  @Test
  @Order(3)
  void cancellation_anApplicationTimeoutEndsTheAttemptAndFreesThePool() {
    apply(routeAllToV1(), """
          trafficPolicy:
            connectionPool:
              tcp:
                maxConnections: 1
              http:
                http1MaxPendingRequests: 1
        """);
    for (String client : CLIENTS) {
      // two at a time: one holds the connection, the other waits for it (pending); both are cancelled
      JsonNode gaveUp = callJson(client, "/slow?ms=4000", 4, 2, 300);
      assertThat(gaveUp.path("statuses").toString()).as(client + " cancelled by their own 300 ms timeout: " + gaveUp).isEqualTo("{\"0\":4}");
      for (JsonNode one : gaveUp.path("results")) {
        assertThat(one.path("error").asText()).as(client).containsIgnoringCase("timed out");
      }
      JsonNode after = callJson(client, "/reviews/0", 10, 1, 20_000);
      assertThat(after.path("statuses").toString()).as(client + ": the pool is free again after the cancelled calls").isEqualTo("{\"200\":10}");
    }
  }

  /**
   * The lifecycle paths that wait — an injected delay, a retry's backoff, a route timeout answered
   * locally — through both clients, so that the last test has them under BlockHound.
   */
  @Test
  @Order(4)
  void lifecycle_delayRetryAndRouteTimeoutThroughTheReactorClients() {
    apply("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - match:
            - headers:
                x-test: {exact: delay}
            fault:
              delay:
                percentage: {value: 100.0}
                fixedDelay: 0.5s
            route:
            - destination: {host: reviews, subset: v1}
          - match:
            - headers:
                x-test: {exact: timeout}
            timeout: 0.5s
            route:
            - destination: {host: reviews, subset: v1}
          - route:
            - destination: {host: reviews, subset: v1}
            retries:
              attempts: 3
              retryOn: 5xx
        """, "");
    for (String at : List.of(CALLER, CALLER_13)) {
    for (String client : ALL_CLIENTS) {
      String who = client + "@" + at;
      JsonNode delayed = callJson(at, client, "/reviews/0", 1, 1, 20_000, "x-test:delay").path("results").get(0);
      assertThat(delayed.path("status").asText()).as(who + " " + delayed).isEqualTo("200");
      assertThat(delayed.path("reason").asText()).as(who).contains("DI");
      String key = client + "-" + at + "-" + UUID.randomUUID();
      JsonNode retried = callJson(at, client, "/flaky?failures=1&status=503&key=" + key, 1, 1, 20_000).path("results").get(0);
      assertThat(retried.path("status").asText()).as(who + " " + retried).isEqualTo("200");
      assertThat(servedBy(V1, key)).as(who + ": one 503, then the retry").isBetween(2, 3);
      JsonNode timedOut = callJson(at, client, "/slow?ms=3000", 1, 1, 20_000, "x-test:timeout").path("results").get(0);
      assertThat(timedOut.path("status").asText()).as(who + " " + timedOut).isEqualTo("504");
      assertThat(timedOut.path("body").asText()).isEqualTo("upstream request timeout");
      assertThat(timedOut.path("reason").asText()).isEqualTo("UT");
    }
    }
  }

  @Test
  @Order(99)
  void blockHound_noReactorOrEventLoopThreadWasEverBlockedByTheMesh() {
    noBlockingWithInmeshOnTheStack(caller);
    noBlockingWithInmeshOnTheStack(caller13);
  }

  static void noBlockingWithInmeshOnTheStack(Proc caller) {
    String out = caller.output();
    assertThat(out).as(caller.name() + ": BlockHound is live (its probe was caught)").contains(LIVE);
    // every blocking call BlockHound saw on a non-blocking thread, with its stack; the mesh's own
    // (an inmesh frame on the stack: adapter, seam or engine) must be none. Others (a library's
    // one-time warm-up the caller's allow-list does not know) are shown, not failed on.
    List<String> reports = new ArrayList<>();
    StringBuilder current = null;
    for (String line : out.split("\n")) {
      if (line.startsWith(BLOCKED)) {
        current = new StringBuilder(line);
        reports.add(null);
      } else if (current != null && line.startsWith("    at ")) {
        current.append('\n').append(line);
      } else {
        current = null;
      }
      if (current != null) {
        reports.set(reports.size() - 1, current.toString());
      }
    }
    List<String> mesh = reports.stream().filter(r -> r.matches("(?s).*\n    at io\\.inmesh\\.(?!smoke\\.).*")).toList();
    assertThat(mesh).as(caller.name() + ": blocking calls on non-blocking threads with inmesh on the stack (of " + reports.size() + " reported in all:\n" + String.join("\n", reports) + ")").isEmpty();
  }

  // ---- helpers -------------------------------------------------------------------------------------

  void apply(String virtualService, String trafficPolicy) {
    Smoke.applyPolicy(policies.resolve("reviews.yaml"), virtualService + "---\n" + subsets(trafficPolicy), List.of(CALLER, CALLER_13), caller, caller13, controlPlane);
  }

  /** The seed's canary rule (its Spanish README's "Traffic Management" example), on reviews. */
  static String seedCanary() {
    return """
        apiVersion: networking.istio.io/v1beta1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - match:
            - headers:
                x-canary:
                  exact: "true"
            route:
            - destination:
                host: reviews
                subset: v2
              weight: 10
          - route:
            - destination:
                host: reviews
                subset: v1
              weight: 90
        """;
  }

  static String routeAllToV1() {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {host: reviews, subset: v1}
        """;
  }

  static String subsets(String trafficPolicy) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
        spec:
          host: reviews
        %s  subsets:
          - name: v1
            labels: {version: v1}
          - name: v2
            labels: {version: v2}
        """
        .formatted(trafficPolicy);
  }

  JsonNode callJson(String client, String path, int n, int concurrency, long timeoutMs, String... headers) {
    return callJson(CALLER, client, path, n, concurrency, timeoutMs, headers);
  }

  JsonNode callJson(String at, String client, String path, int n, int concurrency, long timeoutMs, String... headers) {
    StringBuilder url = new StringBuilder("http://" + at + ":8080/call?client=" + client + "&n=" + n + "&concurrency=" + concurrency + "&timeoutMs=" + timeoutMs);
    url.append("&url=").append(URLEncoder.encode("http://reviews" + path, StandardCharsets.UTF_8));
    for (String h : headers) {
      url.append("&h=").append(URLEncoder.encode(h, StandardCharsets.UTF_8));
    }
    try {
      HttpResponse<String> r = http.send(
          HttpRequest.newBuilder(URI.create(url.toString())).timeout(Duration.ofMillis(Math.max(60_000, timeoutMs + 60_000))).build(),
          HttpResponse.BodyHandlers.ofString());
      return Smoke.JSON.readTree(r.body());
    } catch (Exception e) {
      throw new AssertionError("GET " + url + " failed: " + e + "\n" + caller.tail(40), e);
    }
  }

  long startupWaits() {
    try {
      return stats().path("startupWaits").asLong();
    } catch (AssertionError e) {
      return 0; // the admin port is not up yet
    }
  }

  JsonNode stats() {
    return stats(CALLER);
  }

  static JsonNode stats(String at) {
    return Smoke.getJson("http://" + at + ":15000/stats");
  }

  /** Tells the caller's Reactor clients to install BlockHound (apps/tasks/ReactorCalls). */
  static List<String> withBlockHound(List<String> command) {
    List<String> out = new ArrayList<>(List.of("-Dtasks.blockhound=true"));
    out.addAll(command);
    return out;
  }

  /** The caller's command with the Boot 4 line's libraries (target/reactor-netty-1.3-libs) instead of this module's. */
  static List<String> onReactorNetty13(List<String> command) {
    int i = command.indexOf("-cp") + 1;
    StringBuilder cp = new StringBuilder(Smoke.APPS.toString());
    try (var jars = Files.list(Smoke.ROOT.resolve("smoke-tests/target/reactor-netty-1.3-libs"))) {
      jars.sorted().forEach(j -> cp.append(java.io.File.pathSeparator).append(j));
    } catch (java.io.IOException e) {
      throw new AssertionError("the Reactor Netty 1.3 libraries (mvn process-test-classes copies them)", e);
    }
    for (String entry : command.get(i).split(java.io.File.pathSeparator)) {
      if (entry.contains("/io/projectreactor/tools/blockhound/")) {
        cp.append(java.io.File.pathSeparator).append(entry);
      }
    }
    List<String> out = new ArrayList<>(command);
    out.set(i, cp.toString());
    return out;
  }

  static List<String> field(JsonNode calls, String name) {
    List<String> out = new ArrayList<>();
    for (JsonNode r : calls.path("results")) {
      out.add(r.path(name).asText());
    }
    return out;
  }

  static String listener(String address) {
    return address + ":8080";
  }

  static List<String> all() {
    List<String> a = new ArrayList<>(V1);
    a.addAll(V2);
    return a;
  }

  static int servedBy(List<String> addresses, String key) {
    int n = 0;
    for (String a : addresses) {
      HttpResponse<String> r = Smoke.send(HttpRequest.newBuilder(URI.create("http://" + a + ":8080/control/count?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(10)).build());
      n += Integer.parseInt(r.body().trim());
    }
    return n;
  }
}
