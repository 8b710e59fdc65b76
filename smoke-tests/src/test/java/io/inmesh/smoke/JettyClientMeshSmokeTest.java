package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static io.inmesh.smoke.TaskBackends.backend;
import static io.inmesh.smoke.TaskBackends.enc;
import static io.inmesh.smoke.TaskBackends.field;
import static io.inmesh.smoke.TaskBackends.listener;
import static io.inmesh.smoke.TaskBackends.servedBy;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
 * Jetty 12's {@code HttpClient} meshed (issue 14): a plain caller (apps/jetty/JettyCallerApp, Jetty
 * 12.1 on its class path, no inmesh code) calls {@code usuario-service}, whose subsets v1 and v2
 * have two endpoints each, with the blocking {@code send()} ({@code jetty}) and the asynchronous
 * {@code send(listener)} ({@code jetty-async}). A second caller whose agent never gets a snapshot
 * shows the start-up wait holds no thread.
 */
@Shows(feature = "suite", value = {"jetty-client"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class JettyClientMeshSmokeTest {
  static final Duration STARTUP = Duration.ofSeconds(300);
  static final String CP = "127.0.26.1:15010";
  static final String CALLER = "127.0.26.20";
  /** A Jetty app whose agent never gets a snapshot: its control plane address has nobody behind it. */
  static final String NO_SNAPSHOT = "127.0.26.22";
  static final List<String> V1 = List.of("127.0.26.11", "127.0.26.12");
  static final List<String> V2 = List.of("127.0.26.13", "127.0.26.14");
  static final List<String> CLIENTS = List.of("jetty", "jetty-async");

  final Path tmp = Smoke.workDir("JettyClientMeshSmokeTest");
  final List<Proc> apps = new ArrayList<>();
  Path policies;
  Proc controlPlane;
  Proc caller;
  Proc noSnapshot;

  @BeforeAll
  void startMesh() throws Exception {
    policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("jetty-client");
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
    caller = meshed("caller-jetty", inmeshEnv("pedido-service", "app=pedido-service", CALLER, control, tmp.resolve("cache-pedido")), logs,
        withJetty(plainApp("jetty.JettyCallerApp", CALLER, "8080")));
    apps.add(caller);
    Map<String, String> lonely = inmeshEnv("pedido-service", "app=pedido-service", NO_SNAPSHOT, "http://127.0.26.3:15010", Files.createDirectories(tmp.resolve("cache-empty")));
    lonely.put("INMESH_STARTUP_WAIT", "600s");
    noSnapshot = meshed("jetty-no-snapshot", lonely, logs, withJetty(plainApp("jetty.JettyCallerApp", NO_SNAPSHOT, "8080")));
    List<String> all = new ArrayList<>(V1);
    all.addAll(V2);
    all.add(CALLER);
    for (int i = 0; i < all.size(); i++) {
      awaitReady(apps.get(i), all.get(i), STARTUP);
    }
    for (Proc app : apps) {
      awaitTrue(app.name() + " listening", STARTUP, () -> app.output().contains("listening on"), app);
    }
    awaitTrue(noSnapshot.name() + " listening", STARTUP, () -> noSnapshot.output().contains("listening on"), noSnapshot);
    awaitTrue(
        CALLER + "'s snapshot to hold the four usuario-service endpoints",
        Duration.ofSeconds(30),
        () -> Smoke.endpointsSeenBy(CALLER).getOrDefault("usuario-service", List.of()).size() == 4,
        caller,
        controlPlane);
  }

  @AfterAll
  void stopMesh() {
    apps.forEach(Proc::stop);
    if (noSnapshot != null) {
      noSnapshot.stop();
    }
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
   * The seed's canary rule, verbatim, by mesh name: {@code x-canary: true} to v2, everything else to
   * v1; both endpoints of each subset share the calls although Jetty pools connections per origin
   * (the endpoint is picked per attempt), the Host header and the request the application's listener
   * gets back keep the logical name, and each call is one request upstream.
   */
  @Shows(feature = "canary", value = {"jetty-client"})
  @Test
  @Order(1)
  void byName_seedCanary_trueToV2TheRestToV1_bothEndpointsOfEachSubsetShareTheCalls() {
    for (String client : CLIENTS) {
      int before = servedBy(all());
      JsonNode canary = call(client, "/usuarios/1", 30, 20_000, "x-canary:true");
      assertThat(canary.path("statuses").toString()).as(client + " canary " + canary).isEqualTo("{\"200\":30}");
      assertThat(field(canary, "version")).as(client + " canary").containsOnly("v2");
      assertThat(field(canary, "listener")).as(client + " canary: both v2 endpoints").containsOnly(listener(V2.get(0)), listener(V2.get(1)));
      for (String other : new String[] {"x-canary:false", null}) {
        JsonNode r = other == null ? call(client, "/usuarios/1", 30, 20_000) : call(client, "/usuarios/1", 30, 20_000, other);
        assertThat(r.path("statuses").toString()).as(client + " " + other + " " + r).isEqualTo("{\"200\":30}");
        assertThat(field(r, "version")).as(client + " " + other).containsOnly("v1");
        assertThat(field(r, "listener")).as(client + " " + other + ": both v1 endpoints").containsOnly(listener(V1.get(0)), listener(V1.get(1)));
        assertThat(field(r, "host")).as(client + ": the Host header keeps the logical name").containsOnly("usuario-service");
        assertThat(field(r, "requestHost")).as(client + ": the application's request comes back").containsOnly("usuario-service");
      }
      assertThat(servedBy(all()) - before).as(client + ": requests upstream for 90 calls").isEqualTo(90);
    }
  }

  /**
   * A 50/50 split between v1 and v2 (Istio traffic shifting), with v1's two endpoints: the weights
   * pick a subset per call and the balancer an endpoint per attempt.
   * https://istio.io/latest/docs/tasks/traffic-management/traffic-shifting/
   */
  @Test
  @Order(2)
  void split_fiftyFifty_reachesEveryEndpointOfBothSubsets() {
    apply(Policies.split(50, 50));
    for (String client : CLIENTS) {
      JsonNode r = call(client, "/usuarios/2", 60, 20_000);
      assertThat(r.path("statuses").toString()).as(client + " " + r).isEqualTo("{\"200\":60}");
      assertThat(field(r, "listener")).as(client + ": all four endpoints").containsOnly(listener(V1.get(0)), listener(V1.get(1)), listener(V2.get(0)), listener(V2.get(1)));
    }
  }

  /**
   * A 503 from the upstream is retried by the mesh (retryOn 5xx) on another attempt; the dropped
   * 503 never reaches the application, which gets the retry's 200.
   * https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry
   */
  @Test
  @Order(3)
  void retryOn503_theApplicationGetsTheRetrys200_theDropped503sNeverReachIt() {
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
            retries:
              attempts: 2
              retryOn: 5xx
        """);
    for (String client : CLIENTS) {
      String key = client + "-" + UUID.randomUUID();
      JsonNode r = call(client, "/flaky?failures=1&status=503&key=" + key, 1, 20_000).path("results").get(0);
      assertThat(r.path("status").asText()).as(client + " " + r).isEqualTo("200");
      assertThat(r.path("version").asText()).isEqualTo("v1");
      // each backend answers 503 to the first request with a key it sees: the retry (on the other
      // endpoint, or on the same one) may meet a second 503 and be retried again
      assertThat(servedBy(V1, key)).as(client + ": the 503 and its retries").isBetween(2, 3);
      String always = client + "-always-" + UUID.randomUUID();
      JsonNode spent = call(client, "/flaky?failures=9&status=503&key=" + always, 1, 20_000).path("results").get(0);
      assertThat(spent.path("status").asText()).as(client + ": retries spent, the last 503 is delivered " + spent).isEqualTo("503");
      assertThat(servedBy(V1, always)).as(client + ": 1 + 2 retries").isEqualTo(3);
    }
  }

  /**
   * The route's perTryTimeout ends each attempt (that request's timeout), the retries go on, and
   * when they are spent the mesh answers Envoy's 504; the application's own total timeout, when
   * shorter, covers all attempts and fails the call with Jetty's own TimeoutException.
   * https://istio.io/latest/docs/tasks/traffic-management/request-timeouts/
   */
  @Test
  @Order(4)
  void timeout_perTryTimeoutThen504_andTheApplicationsTotalTimeoutCoversEveryAttempt() {
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
      JsonNode own = call(client, "/slow?ms=3000", 1, 800).path("results").get(0);
      assertThat(own.path("status").asText()).as(client + " " + own).isEqualTo("0");
      assertThat(own.path("error").asText()).as(client).startsWith("TimeoutException").contains("Total timeout 800 ms elapsed");
    }
  }

  /**
   * A fault abort is answered by the mesh as a Jetty response like any other (status, Envoy's body,
   * x-inmesh-reason), never sent upstream; a subset without endpoints is Envoy's 503 "no healthy
   * upstream". https://istio.io/latest/docs/tasks/traffic-management/fault-injection/
   */
  @Test
  @Order(5)
  void faultAbortAndNoEndpoint_areJettyResponses_nothingSentUpstream() {
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
                  exact: "418"
            fault:
              abort:
                percentage:
                  value: 100.0
                httpStatus: 418
            route:
            - destination: {host: usuario-service, subset: v1}
          - match:
            - headers:
                x-canary:
                  exact: "v3"
            route:
            - destination: {host: usuario-service, subset: v3}
          - route:
            - destination: {host: usuario-service, subset: v1}
        """);
    for (String client : CLIENTS) {
      int before = servedBy(all());
      JsonNode abort = call(client, "/usuarios/1", 3, 20_000, "x-abort:418");
      assertThat(abort.path("statuses").toString()).as(client + " " + abort).isEqualTo("{\"418\":3}");
      assertThat(field(abort, "body")).containsOnly("fault filter abort");
      assertThat(field(abort, "reason")).containsOnly("FI");
      JsonNode none = call(client, "/usuarios/1", 2, 20_000, "x-canary:v3");
      assertThat(none.path("statuses").toString()).as(client + " " + none).isEqualTo("{\"503\":2}");
      assertThat(field(none, "body")).containsOnly("no healthy upstream");
      assertThat(field(none, "reason")).containsOnly("UH");
      assertThat(servedBy(all()) - before).as(client + ": nothing reached the upstreams").isZero();
    }
  }

  /**
   * A host that is not a mesh name is left alone: a call by address goes where the application
   * addressed it, with its own Host header, and a name nobody resolves fails as Jetty fails it.
   */
  @Test
  @Order(6)
  void aNonMeshHostIsUntouched() {
    for (String client : CLIENTS) {
      String direct = listener(V2.get(1));
      JsonNode r = callUrl(client, "http://" + direct + "/usuarios/3", 4, 20_000, "x-canary:false");
      assertThat(r.path("statuses").toString()).as(client + " " + r).isEqualTo("{\"200\":4}");
      assertThat(field(r, "listener")).as(client + ": where the application addressed it").containsOnly(direct);
      assertThat(field(r, "host")).containsOnly(direct);
      assertThat(field(r, "reason")).containsOnly("");
      JsonNode unknown = callUrl(client, "http://no-such-service.invalid/x", 1, 20_000).path("results").get(0);
      assertThat(unknown.path("status").asText()).as(client + " " + unknown).isEqualTo("0");
      assertThat(unknown.path("error").asText()).as(client).contains("UnknownHost");
    }
  }

  /**
   * Before the first snapshot, an asynchronous send to a possible mesh host waits for it (the
   * bounded start-up wait) as a stage: {@code send(listener)} returns at once, and a later send on
   * the same client completes meanwhile. Had the wait parked the caller's or a Jetty thread, the
   * second send would have waited behind it.
   */
  @Test
  @Order(7)
  void sendListener_theStartUpWaitParksNoThread_aLaterCallCompletesMeanwhile() {
    JsonNode race = Smoke.getJson("http://" + NO_SNAPSHOT + ":8080/race?first=" + enc("http://usuario-service/usuarios/1") + "&second=" + enc("http://" + listener(V1.get(0)) + "/usuarios/2"));
    assertThat(race.path("sendReturnedAtOnce").asText()).as(race.toString()).isEqualTo("true");
    assertThat(race.path("done").asText()).as(race.toString()).isEqualTo("second");
    assertThat(race.path("secondStatus").asText()).as(race.toString()).isEqualTo("200");
  }

  // ---- helpers -----------------------------------------------------------------------------------

  void apply(String virtualService) {
    Smoke.applyPolicy(policies.resolve("canary.yaml"), virtualService, List.of(CALLER), caller, controlPlane);
  }

  static JsonNode call(String client, String path, int n, long timeoutMs, String... headers) {
    return callUrl(client, "http://usuario-service" + path, n, timeoutMs, headers);
  }

  static JsonNode callUrl(String client, String url, int n, long timeoutMs, String... headers) {
    StringBuilder u = new StringBuilder("http://" + CALLER + ":8080/call?client=" + client + "&n=" + n + "&timeoutMs=" + timeoutMs);
    u.append("&url=").append(URLEncoder.encode(url, StandardCharsets.UTF_8));
    for (String h : headers) {
      u.append("&h=").append(URLEncoder.encode(h, StandardCharsets.UTF_8));
    }
    return Smoke.getJson(u.toString());
  }

  static List<String> all() {
    List<String> a = new ArrayList<>(V1);
    a.addAll(V2);
    return a;
  }

  /** {@code plainApp}'s command with Jetty 12.1's client (copied by the build into target/jetty12) on the class path. */
  static List<String> withJetty(List<String> plainApp) {
    Path dir = Smoke.ROOT.resolve("smoke-tests/target/jetty12");
    String jars;
    try (Stream<Path> s = Files.list(dir)) {
      jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> cmd = new ArrayList<>(plainApp);
    int cp = cmd.indexOf("-cp") + 1;
    cmd.set(cp, cmd.get(cp) + File.pathSeparator + jars);
    return cmd;
  }
}
