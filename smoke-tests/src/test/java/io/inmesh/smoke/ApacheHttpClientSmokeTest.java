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
import static io.inmesh.smoke.Smoke.plainAppWithLibraries;
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
 * Apache HttpClient 5 and 4.5 meshed through their exec chains (issue 14): an unmodified caller
 * (apps/tasks/ApacheCalls: the classic client, the async client on one reactor thread, and Spring's
 * RestTemplate over HttpComponentsClientHttpRequestFactory; and HttpClient 4.5) calls {@code http://usuario-service/...},
 * whose subsets v1 and v2 have two endpoints each, although Apache pools connections by host.
 */
@Shows(feature = "suite", value = {"apache5", "apache5-async", "apache4"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ApacheHttpClientSmokeTest {
  static final Duration STARTUP = Duration.ofSeconds(240);
  static final String CP = "127.0.23.9:15010";
  static final String CALLER = "127.0.23.10";
  static final List<String> V1 = List.of("127.0.23.11", "127.0.23.12");
  static final List<String> V2 = List.of("127.0.23.13", "127.0.23.14");
  /** A caller whose control plane never answers: it has no snapshot for as long as the tests run. */
  static final String EARLY_CALLER = "127.0.23.15";
  static final List<String> CLIENTS = List.of("apache5", "apache5-async", "apache5-resttemplate", "apache4");

  final Path tmp = Smoke.workDir("ApacheHttpClientSmokeTest");
  final List<Proc> apps = new ArrayList<>();
  Path policies;
  Proc controlPlane;
  Proc caller;
  Proc earlyCaller;

  @BeforeAll
  void startMesh() throws Exception {
    policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("apache-httpclient");
    Smoke.write(policies.resolve("canary.yaml"), Policies.SEED_CANARY);
    Smoke.write(policies.resolve("subsets.yaml"), Policies.SUBSETS);
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("control-data"), logs, "60s");
    String control = "http://" + CP;
    List<String> all = all();
    for (String address : all) {
      String version = V1.contains(address) ? "v1" : "v2";
      Map<String, String> env = inmeshEnv("usuario-service", "app=usuario-service,version=" + version, address, control, tmp.resolve("cache-usuario"));
      env.put("APP_VERSION", version);
      apps.add(meshed("usuario-" + version + "-" + address, env, logs, Smoke.plainApp("tasks.TaskBackendApp", address, "8080")));
    }
    caller = meshed("caller", inmeshEnv("pedido-service", "app=pedido-service", CALLER, control, tmp.resolve("cache-caller")), logs, plainAppWithLibraries("tasks.ApacheCalls", CALLER, "8080"));
    apps.add(caller);
    Map<String, String> early = inmeshEnv("pedido-service", "app=pedido-service", EARLY_CALLER, "http://127.0.23.9:15019", tmp.resolve("cache-early"));
    early.put("INMESH_STARTUP_WAIT", "600s");
    earlyCaller = meshed("early-caller", early, logs, plainAppWithLibraries("tasks.ApacheCalls", EARLY_CALLER, "8080"));
    for (int i = 0; i < all.size(); i++) {
      awaitReady(apps.get(i), all.get(i), STARTUP);
    }
    awaitReady(caller, CALLER, STARTUP);
    for (Proc app : apps) {
      awaitTrue(app.name() + " listening", STARTUP, () -> app.output().contains("listening on"), app);
    }
    awaitTrue("the early caller listening", STARTUP, () -> earlyCaller.output().contains("listening on"), earlyCaller);
    awaitTrue(
        "the caller's snapshot to hold the four usuario-service endpoints",
        Duration.ofSeconds(30),
        () -> Smoke.endpointsSeenBy(CALLER).getOrDefault("usuario-service", List.of()).size() == 4,
        caller,
        controlPlane);
  }

  @AfterAll
  void stopMesh() {
    Proc.stopAll(apps, earlyCaller);
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

  /** Issue 14's done-when: the seed's canary, 100 calls per header value, two endpoints per subset, every Apache client. */
  @Shows(feature = "canary", value = {"apache5", "apache5-async", "apache4"})
  @Test
  @Order(1)
  void seedCanary_hundredCallsPerHeaderValue_canaryTrueToV2AndTheRestToV1_twoEndpointsOfASubsetShareTheCalls() {
    for (String client : CLIENTS) {
      JsonNode canary = call(client, "/usuarios/1", 100, "x-canary:true");
      assertThat(canary.path("statuses").toString()).as(client + " x-canary:true").isEqualTo("{\"200\":100}");
      assertThat(field(canary, "version")).as(client + " x-canary:true").containsOnly("v2");
      // Apache pools by host, yet each attempt picks its endpoint: both endpoints of v2 serve
      assertThat(field(canary, "listener")).as(client + " x-canary:true").containsOnly(listener(V2.get(0)), listener(V2.get(1)));
      for (String other : new String[] {"x-canary:false", null}) {
        JsonNode rest = other == null ? call(client, "/usuarios/1", 100) : call(client, "/usuarios/1", 100, other);
        assertThat(rest.path("statuses").toString()).as(client + " " + other).isEqualTo("{\"200\":100}");
        assertThat(field(rest, "version")).as(client + " " + other).containsOnly("v1");
        assertThat(field(rest, "listener")).as(client + " " + other).containsOnly(listener(V1.get(0)), listener(V1.get(1)));
        // the attempt's route targets the endpoint; the Host header keeps the logical name
        assertThat(field(rest, "host")).as(client + ": Host header").containsOnly("usuario-service");
      }
    }
  }

  /** https://istio.io/latest/docs/tasks/traffic-management/request-routing/ and traffic-shifting/ with Apache's clients. */
  @Test
  @Order(2)
  void headerRoutingAndAFiftyFiftyWeightedSplit() {
    Smoke.applyPolicy(policies.resolve("canary.yaml"), Policies.split(50, 50), List.of(CALLER), caller, controlPlane);
    try {
      for (String client : CLIENTS) {
        JsonNode header = call(client, "/usuarios/1", 20, "x-canary:true");
        assertThat(field(header, "version")).as(client + " header match").hasSize(20).containsOnly("v2");
        JsonNode split = call(client, "/usuarios/1", 100);
        assertThat(split.path("statuses").toString()).as(client).isEqualTo("{\"200\":100}");
        long v2 = field(split, "version").stream().filter("v2"::equals).count();
        // binomial(100, 0.5): ±5 standard deviations (±4 is a false failure in ~1 of 16,000 checks)
        assertThat(v2).as(client + ": calls to v2 of 100 at weight 50").isBetween(25L, 75L);
      }
    } finally {
      Smoke.applyPolicy(policies.resolve("canary.yaml"), Policies.SEED_CANARY, List.of(CALLER), caller, controlPlane);
    }
  }

  /**
   * The mesh answers above Apache's retry element. Apache's default strategy retries a 503 once
   * (after a second): on a host that is not a mesh service it still does, but a mesh call's attempt
   * passes its retry element untouched (the route's retry policy owns retries; here a route with
   * {@code retries: {attempts: 0}}), so the upstream serves it exactly once. An abort fault is a local answer the
   * upstream never sees.
   */
  @Test
  @Order(3)
  void apachesOwnRetryOfA503NeverResendsAMeshCall_andAnAbortIsALocalAnswerInApachesResponse() {
    Smoke.applyPolicy(policies.resolve("canary.yaml"), abortAndDelay(), List.of(CALLER), caller, controlPlane);
    try {
      for (String client : List.of("apache5", "apache5-async")) {
        String key = client + "-" + UUID.randomUUID();
        JsonNode r = call(client, "/flaky?failures=1&status=503&key=" + key, 1, "x-no-retry:true").path("results").get(0);
        assertThat(r.path("status").asText()).as(client + " " + r).isEqualTo("503");
        assertThat(servedBy(all(), key)).as(client + ": requests the upstreams served for one mesh call").isEqualTo(1);
        // control: the same call by address (not a mesh host) gets Apache's retry as configured
        String direct = client + "-direct-" + UUID.randomUUID();
        JsonNode d = callUrl(client, "http://" + V1.get(0) + ":8080/flaky?failures=1&status=503&key=" + direct, 1).path("results").get(0);
        assertThat(d.path("status").asText()).as(client + " direct " + d).isEqualTo("200");
        assertThat(servedBy(List.of(V1.get(0)), direct)).as(client + ": Apache retried the direct call").isEqualTo(2);
      }
      int before = servedBy(all());
      for (String client : CLIENTS) {
        JsonNode r = call(client, "/usuarios/1", 3, "x-fault:abort");
        assertThat(r.path("statuses").toString()).as(client).isEqualTo("{\"503\":3}");
        for (JsonNode one : r.path("results")) {
          assertThat(one.path("body").asText()).as(client).isEqualTo("fault filter abort");
          assertThat(one.path("reason").asText()).as(client).isEqualTo("FI");
        }
      }
      assertThat(servedBy(all()) - before).as("requests an aborted call sent upstream").isZero();
      // a 3 s delay on one call, then an undelayed call on the same async client (one reactor
      // thread): the undelayed one completes first, so the delay held no reactor thread
      JsonNode race = Smoke.getJson("http://" + CALLER + ":8081/race?slow=" + enc("http://usuario-service/usuarios/1") + "&fast=" + enc("http://usuario-service/usuarios/2") + "&h=" + enc("x-fault:delay"));
      assertThat(race.path("first").asText()).as(race.toString()).isEqualTo("fast");
      assertThat(race.path("slowStatus").asText()).as(race.toString()).isEqualTo("200");
    } finally {
      Smoke.applyPolicy(policies.resolve("canary.yaml"), Policies.SEED_CANARY, List.of(CALLER), caller, controlPlane);
    }
  }

  /**
   * Before any snapshot, a call to a possible mesh host waits for the first one (INMESH_STARTUP_WAIT,
   * here longer than the test); on the async client that wait parks no thread: a call to an address
   * sent after it, on the same client with one reactor thread, completes while it still waits.
   */
  @Test
  @Order(4)
  void asyncStartupWait_aCallWaitingForTheFirstSnapshotHoldsNeitherTheReactorNorTheCaller() {
    JsonNode race = Smoke.getJson("http://" + EARLY_CALLER + ":8081/race?slowWaitMs=500&slow=" + enc("http://usuario-service/usuarios/1") + "&fast=" + enc("http://" + V1.get(0) + ":8080/usuarios/2"));
    assertThat(race.path("fastStatus").asText()).as(race.toString()).isEqualTo("200");
    assertThat(race.path("first").asText()).as(race.toString()).isEqualTo("fast");
    assertThat(race.path("slowStatus").asText()).as("the mesh-host call still waits for the first snapshot: " + race).isEqualTo("pending");
  }

  static String abortAndDelay() {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: usuario-service-routing
        spec:
          hosts: [usuario-service]
          http:
          - match:
            - headers:
                x-no-retry:
                  exact: "true"
            route:
            - destination: {host: usuario-service, subset: v1}
            retries: {attempts: 0}
          - match:
            - headers:
                x-fault:
                  exact: abort
            fault:
              abort:
                httpStatus: 503
                percentage: {value: 100}
            route:
            - destination: {host: usuario-service, subset: v1}
          - match:
            - headers:
                x-fault:
                  exact: delay
            fault:
              delay:
                fixedDelay: 3s
                percentage: {value: 100}
            route:
            - destination: {host: usuario-service, subset: v1}
          - route:
            - destination: {host: usuario-service, subset: v1}
        """;
  }

  // ---- the apps ----------------------------------------------------------------------------------

  static JsonNode call(String client, String path, int n, String... headers) {
    return callUrl(client, "http://usuario-service" + path, n, headers);
  }

  static JsonNode callUrl(String client, String target, int n, String... headers) {
    StringBuilder url = new StringBuilder("http://" + CALLER + ":8080/call?client=" + client + "&n=" + n + "&concurrency=1&timeoutMs=20000");
    url.append("&url=").append(enc(target));
    for (String h : headers) {
      url.append("&h=").append(enc(h));
    }
    return Smoke.getJson(url.toString());
  }

  static List<String> all() {
    List<String> a = new ArrayList<>(V1);
    a.addAll(V2);
    return a;
  }

}
