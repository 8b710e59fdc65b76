package io.inmesh.smoke;

import static io.inmesh.smoke.TaskBackends.backend;
import static io.inmesh.smoke.TaskBackends.enc;
import static io.inmesh.smoke.TaskBackends.field;
import static io.inmesh.smoke.TaskBackends.listener;
import static io.inmesh.smoke.TaskBackends.servedBy;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * OkHttp 4.12 and 5.x meshed (issue 14), each in its own application: two caller JVMs running the
 * same unmodified task caller (apps/tasks/TaskCallerApp with OkHttpCalls), one with OkHttp 4.12 on
 * its class path, one with 5.5.1, calling {@code usuario-service}, whose subsets v1 and v2 have two
 * endpoints each. Every scenario runs through {@code execute} and {@code enqueue} of both versions.
 * The Istio task pages (routing, shifting, faults, timeouts, retries, circuit breaking, mirroring)
 * run through OkHttp in {@link IstioTaskPagesSmokeTest}; this class shows what is OkHttp's own.
 */
@Shows(feature = "suite", value = {"okhttp4", "okhttp5"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OkHttpMeshSmokeTest {
  static final Duration STARTUP = Duration.ofSeconds(300);
  static final String CP = "127.0.22.1:15010";
  static final String OK4 = "127.0.22.20";
  static final String OK5 = "127.0.22.21";
  /** An OkHttp app whose agent never gets a snapshot: its control plane address has nobody behind it. */
  static final String NO_SNAPSHOT = "127.0.22.22";
  static final List<String> V1 = List.of("127.0.22.11", "127.0.22.12");
  static final List<String> V2 = List.of("127.0.22.13", "127.0.22.14");
  static final List<String> CLIENTS = List.of("okhttp4", "okhttp4-async", "okhttp5", "okhttp5-async");

  final Path tmp = Smoke.workDir("OkHttpMeshSmokeTest");
  final List<Proc> apps = new ArrayList<>();
  Path policies;
  Proc controlPlane;
  Proc ok4;
  Proc ok5;
  Proc noSnapshot;

  @BeforeAll
  void startMesh() throws Exception {
    policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("okhttp");
    Smoke.write(policies.resolve("subsets.yaml"), Policies.SUBSETS);
    Smoke.write(policies.resolve("canary.yaml"), Policies.SEED_CANARY);
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("control-data"), logs, "60s");
    String control = "http://" + CP;
    for (String version : List.of("v1", "v2")) {
      List<String> addresses = version.equals("v1") ? V1 : V2;
      for (int i = 0; i < addresses.size(); i++) {
        Map<String, String> env = inmeshEnv("usuario-service", "app=usuario-service,version=" + version, addresses.get(i), control, tmp.resolve("cache-usuario"));
        env.put("APP_VERSION", version);
        apps.add(meshed("usuario-" + version + "-" + i, env, logs, plainApp("tasks.TaskBackendApp", addresses.get(i), "8080")));
      }
    }
    ok4 = meshed("caller-okhttp4", inmeshEnv("pedido-service", "app=pedido-service", OK4, control, tmp.resolve("cache-pedido")), logs,
        OkHttpJars.with(4, plainApp("tasks.TaskCallerApp", OK4, "8080")));
    ok5 = meshed("caller-okhttp5", inmeshEnv("pedido-service", "app=pedido-service", OK5, control, tmp.resolve("cache-pedido")), logs,
        OkHttpJars.with(5, plainApp("tasks.TaskCallerApp", OK5, "8080")));
    apps.add(ok4);
    apps.add(ok5);
    Map<String, String> lonely = inmeshEnv("pedido-service", "app=pedido-service", NO_SNAPSHOT, "http://127.0.22.3:15010", Files.createDirectories(tmp.resolve("cache-empty")));
    lonely.put("INMESH_STARTUP_WAIT", "600s");
    noSnapshot = meshed("okhttp-no-snapshot", lonely, logs, OkHttpJars.with(4, plainApp("tasks.OkHttpDispatcherApp", NO_SNAPSHOT, "8080")));
    List<String> all = new ArrayList<>(V1);
    all.addAll(V2);
    all.add(OK4);
    all.add(OK5);
    for (int i = 0; i < all.size(); i++) {
      awaitReady(apps.get(i), all.get(i), STARTUP);
    }
    for (Proc app : apps) {
      awaitTrue(app.name() + " listening", STARTUP, () -> app.output().contains("listening on"), app);
    }
    awaitTrue(noSnapshot.name() + " listening", STARTUP, () -> noSnapshot.output().contains("listening on"), noSnapshot);
    for (String caller : List.of(OK4, OK5)) {
      awaitTrue(
          caller + "'s snapshot to hold the four usuario-service endpoints",
          Duration.ofSeconds(30),
          () -> Smoke.endpointsSeenBy(caller).getOrDefault("usuario-service", List.of()).size() == 4,
          ok4,
          ok5,
          controlPlane);
    }
  }

  @AfterAll
  void stopMesh() {
    Proc.stopAll(apps, noSnapshot);
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  @BeforeEach
  void resetUpstreams() {
    for (String a : all()) {
      backend(a, "reset");
    }
  }

  /**
   * The seed's canary rule, verbatim: 100 calls per header value, {@code x-canary: true} to v2 and
   * everything else to v1; both endpoints of each subset share the calls although OkHttp pools
   * connections by host, the Host header and {@code response.request()} keep the logical name, and
   * each call is one request upstream (one mesh decision, one attempt).
   */
  @Shows(feature = "canary", value = {"okhttp4", "okhttp5"})
  @Test
  @Order(1)
  void seedCanary_hundredCallsPerHeaderValue_trueToV2TheRestToV1_bothEndpointsOfEachSubset() {
    for (String client : CLIENTS) {
      int before = servedBy(all());
      JsonNode canary = call(client, "/usuarios/1", 100, 20_000, "x-canary:true");
      assertThat(canary.path("statuses").toString()).as(client + " canary").isEqualTo("{\"200\":100}");
      assertThat(field(canary, "version")).as(client + " canary").containsOnly("v2");
      assertThat(field(canary, "listener")).as(client + " canary: both v2 endpoints").containsOnly(listener(V2.get(0)), listener(V2.get(1)));
      assertThat(field(canary, "okhttp")).as(client).allMatch(v -> v.startsWith(client.substring(6, 7)));
      for (String other : new String[] {"x-canary:false", "x-canary:TRUE", null}) {
        JsonNode r = other == null ? call(client, "/usuarios/1", 100, 20_000) : call(client, "/usuarios/1", 100, 20_000, other);
        assertThat(r.path("statuses").toString()).as(client + " " + other).isEqualTo("{\"200\":100}");
        assertThat(field(r, "version")).as(client + " " + other).containsOnly("v1");
        assertThat(field(r, "listener")).as(client + " " + other + ": both v1 endpoints").containsOnly(listener(V1.get(0)), listener(V1.get(1)));
        assertThat(field(r, "host")).as(client + ": the Host header keeps the logical name").containsOnly("usuario-service");
        assertThat(field(r, "requestHost")).as(client + ": response.request() is the application's").containsOnly("usuario-service");
      }
      assertThat(servedBy(all()) - before).as(client + ": requests upstream for 400 calls").isEqualTo(400);
    }
  }

  /**
   * OkHttp's RetryAndFollowUpInterceptor re-sends a 408 once (retryOnConnectionFailure, on by
   * default). It sits below the mesh's interceptor: an upstream's 408 is re-sent by OkHttp inside
   * one attempt, as behind a sidecar, but a 408 the mesh answers itself (a fault abort) reaches the
   * application once, never re-sent. https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPFaultInjection-Abort
   */
  @Test
  @Order(2)
  void aLocalAnswerIsNeverResentByOkHttpsOwnRetry_anUpstream408Is() {
    apply(
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: usuario-service-routing
        spec:
          hosts: [usuario-service]
          http:
          - match:
            - headers:
                x-abort:
                  exact: "408"
            fault:
              abort:
                percentage:
                  value: 100.0
                httpStatus: 408
            route:
            - destination: {host: usuario-service, subset: v1}
          - route:
            - destination: {host: usuario-service, subset: v1}
        """);
    for (String client : CLIENTS) {
      JsonNode local = call(client, "/usuarios/1", 1, 20_000, "x-abort:408").path("results").get(0);
      assertThat(local.path("status").asText()).as(client + " " + local).isEqualTo("408");
      assertThat(local.path("body").asText()).isEqualTo("fault filter abort");
      assertThat(local.path("reason").asText()).isEqualTo("FI");
      assertThat(local.path("prior").asText()).as(client + ": OkHttp did not re-send the mesh's 408").isEmpty();
      String key = client + "-" + UUID.randomUUID();
      JsonNode upstream = call(client, "/flaky?failures=1&status=408&key=" + key, 1, 20_000).path("results").get(0);
      assertThat(upstream.path("status").asText()).as(client + " " + upstream).isEqualTo("200");
      assertThat(upstream.path("prior").asText()).as(client + ": OkHttp's own re-send of the upstream's 408").isEqualTo("408");
      assertThat(servedBy(V1, key)).isEqualTo(2);
    }
    assertThat(servedBy(V2)).isZero();
  }

  /**
   * The route's perTryTimeout ends each attempt (OkHttp's read timeout for that proceed), the retry
   * goes on, and when the tries are spent the mesh answers Envoy's 504; the application's own
   * callTimeout, when shorter, covers all attempts and fires as OkHttp's own timeout.
   * https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry
   */
  @Test
  @Order(3)
  void perTryTimeout_retriesThenAnswers504_andTheApplicationsCallTimeoutCoversEveryAttempt() {
    apply(
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: usuario-service-routing
        spec:
          hosts: [usuario-service]
          http:
          - route:
            - destination: {host: usuario-service, subset: v1}
            timeout: 20s
            retries:
              attempts: 2
              perTryTimeout: 0.5s
              retryOn: 5xx
        """);
    for (String client : CLIENTS) {
      int before = servedBy(V1);
      JsonNode r = call(client, "/slow?ms=3000", 1, 20_000).path("results").get(0);
      assertThat(r.path("status").asText()).as(client + " " + r).isEqualTo("504");
      assertThat(r.path("body").asText()).isEqualTo("upstream request timeout");
      assertThat(r.path("reason").asText()).isEqualTo("UT");
      assertThat(servedBy(V1) - before).as(client + ": tries the upstreams saw (1 + 2 retries)").isEqualTo(3);
      // the application allows 0.8 s for the whole call: less than three tries of 0.5 s
      JsonNode own = call(client, "/slow?ms=3000", 1, 800).path("results").get(0);
      assertThat(own.path("status").asText()).as(client + " " + own).isEqualTo("0");
      assertThat(own.path("error").asText()).as(client).containsIgnoringCase("timed out");
    }
  }

  /**
   * A redirect the mesh answers itself (Istio HTTPRedirect, 301) is followed as OkHttp follows an
   * upstream's (followRedirects is on by default; behind a sidecar OkHttp would follow it), and the
   * follow-up is a new mesh call, routed anew with the request's headers: the canary header takes it
   * to v2. https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRedirect
   */
  @Test
  @Order(5)
  void aMeshMadeRedirectIsFollowedAndTheFollowUpRoutedAnew() {
    apply(
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: usuario-service-routing
        spec:
          hosts: [usuario-service]
          http:
          - match:
            - uri:
                prefix: /old
            redirect:
              uri: /usuarios/7
          - match:
            - headers:
                x-canary:
                  exact: "true"
            route:
            - destination: {host: usuario-service, subset: v2}
          - route:
            - destination: {host: usuario-service, subset: v1}
        """);
    for (String client : CLIENTS) {
      JsonNode r = call(client, "/old/1", 1, 20_000, "x-canary:true").path("results").get(0);
      assertThat(r.path("status").asText()).as(client + " " + r).isEqualTo("200");
      assertThat(r.path("prior").asText()).as(client + ": the mesh's redirect, followed").isEqualTo("301");
      assertThat(r.path("version").asText()).as(client).isEqualTo("v2");
      assertThat(r.path("host").asText()).as(client).isEqualTo("usuario-service");
      assertThat(r.path("body").asText()).as(client).contains("\"path\":\"/usuarios/7\"");
    }
  }

  /**
   * Before the first snapshot, an enqueued call to a possible mesh host waits for it (the bounded
   * start-up wait) off OkHttp's dispatcher: with one dispatcher slot, a call enqueued after it
   * runs and completes meanwhile. Had the wait happened in the interceptor, on the dispatcher
   * thread, the second call would queue behind it for the whole wait.
   */
  @Test
  @Order(4)
  void enqueue_theStartUpWaitHoldsNoDispatcherSlot_aLaterCallRunsMeanwhile() {
    JsonNode race = Smoke.getJson("http://" + NO_SNAPSHOT + ":8080/race?first=" + enc("http://usuario-service/usuarios/1") + "&second=" + enc("http://" + listener(V1.get(0)) + "/usuarios/2"));
    assertThat(race.path("done").asText()).as(race.toString()).isEqualTo("second");
    assertThat(race.path("secondStatus").asText()).as(race.toString()).isEqualTo("200");
    java.util.regex.Matcher waits = java.util.regex.Pattern.compile("\"startupWaits\"\\s*:\\s*(\\d+)").matcher(Smoke.get("http://" + NO_SNAPSHOT + ":15000/stats"));
    assertThat(waits.find()).isTrue();
    assertThat(Long.parseLong(waits.group(1))).as("the mesh-host call is held for the start-up wait").isPositive();
  }

  // ---- helpers -----------------------------------------------------------------------------------

  void apply(String virtualService) {
    Smoke.applyPolicy(policies.resolve("canary.yaml"), virtualService, List.of(OK4, OK5), ok4, ok5, controlPlane);
  }

  static JsonNode call(String client, String path, int n, long timeoutMs, String... headers) {
    String caller = client.startsWith("okhttp4") ? OK4 : OK5;
    StringBuilder url = new StringBuilder("http://" + caller + ":8080/call?client=" + client + "&n=" + n + "&concurrency=1&timeoutMs=" + timeoutMs);
    url.append("&url=").append(URLEncoder.encode("http://usuario-service" + path, StandardCharsets.UTF_8));
    for (String h : headers) {
      url.append("&h=").append(URLEncoder.encode(h, StandardCharsets.UTF_8));
    }
    return Smoke.getJson(url.toString());
  }

  static List<String> all() {
    List<String> a = new ArrayList<>(V1);
    a.addAll(V2);
    return a;
  }

}
