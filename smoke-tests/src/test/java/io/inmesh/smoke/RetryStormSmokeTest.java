package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshedTraced;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 * Issue 7 item 3, no retry storms: A → B → C → D, four unmodified JDK services with the agent
 * attached. A's own code retries its call to B 3 times with Resilience4j Retry (apps/chain); B and
 * C answer 502 when their callee fails; D answers 503 ("down") or fails one call in three
 * (deterministically: its 1st, 4th, 7th, … request). Naive layering would send 3 × 3 = 9 calls to
 * D per request with the mesh's defaults and up to 3⁴ = 81 with {@code retryOn: 5xx} on every hop.
 *
 * <p>The rule that prevents it: the network retries transient errors at the hop where they happen;
 * while the application's own retry wraps a call the mesh retries no statuses for it and tells the
 * hops below ({@code x-inmesh-retry-owner: app}); a failure already retried below comes back marked
 * {@code x-inmesh-retries: exhausted} and no mesh above retries it again.
 *
 * <p>Istio's retry defaults and fields: https://istio.io/latest/docs/concepts/traffic-management/#retries
 * and https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry.
 *
 * <p>Each scenario prints a {@code RETRY-AMPLIFICATION} line and all of them go to
 * target/retry-amplification.json (keyed by the JVM the apps ran on) for the benchmark report.
 *
 * <p>Each scenario writes the policy it needs, so any subset of them runs alone.
 *
 * <p>Part of the traced profile's subset (issue 13: "a representative subset runs in the other
 * profile"): its workloads run with INMESH_PROFILE=traced, the embedded OpenTelemetry agent hosting
 * inmesh; the rest of the suite runs in the default profile, mesh.
 */
@Shows(feature = "app-retry", value = {"resilience4j"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class RetryStormSmokeTest {
  /** Five or six JVMs with the agent start at once: on a busy 2-core machine that takes a while. */
  static final Duration STARTUP = Duration.ofSeconds(300);
  static final String CP = "127.0.7.9:15010";
  static final String A = "127.0.7.11";
  static final String B = "127.0.7.12";
  static final String C = "127.0.7.13";
  static final String D = "127.0.7.14";
  /** Requests per scenario: sequential, enough for the ratios, cheap enough for CI on two JVMs. */
  static final int REQUESTS = 60;

  static final Path REPORT = Smoke.ROOT.resolve("smoke-tests/target/retry-amplification.json");

  final Path tmp = Smoke.workDir("RetryStormSmokeTest");
  final List<Proc> apps = new ArrayList<>();
  final List<ObjectNode> results = new ArrayList<>();
  Path policies;
  Proc controlPlane;

  @BeforeAll
  void startChain() throws Exception {
    policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("retry-storm");
    Smoke.write(policies.resolve("chain.yaml"), chainRoutes(false));
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("control-data"), logs, "60s");
    String control = "http://" + CP;
    apps.add(meshedTraced("service-a", inmeshEnv("service-a", "app=service-a", A, control, tmp.resolve("cache-a")), logs, Smoke.plainAppWithLibraries("chain.ChainEntryApp", A, "8080", "http://service-b/work")));
    apps.add(meshedTraced("service-b", inmeshEnv("service-b", "app=service-b", B, control, tmp.resolve("cache-b")), logs, plainApp("chain.ChainRelayApp", B, "8080", "http://service-c/work", "huc")));
    apps.add(meshedTraced("service-c", inmeshEnv("service-c", "app=service-c", C, control, tmp.resolve("cache-c")), logs, plainApp("chain.ChainRelayApp", C, "8080", "http://service-d/work", "jdk-http1")));
    apps.add(meshedTraced("service-d", inmeshEnv("service-d", "app=service-d", D, control, tmp.resolve("cache-d")), logs, plainApp("chain.ChainBackendApp", D, "8080", "up")));
    List<String> addresses = List.of(A, B, C, D);
    for (int i = 0; i < apps.size(); i++) {
      awaitReady(apps.get(i), addresses.get(i), STARTUP);
      // the agent is ready before the application's main has bound its port
      Proc app = apps.get(i);
      awaitTrue(app.name() + " listening", STARTUP, () -> app.output().contains("listening on"), app);
    }
    for (String caller : List.of(A, B, C)) {
      awaitTrue(
          caller + "'s snapshot to hold the chain",
          Duration.ofSeconds(30),
          () -> {
            Map<String, List<String>> eps = Smoke.endpointsSeenBy(caller);
            return eps.containsKey("service-b") && eps.containsKey("service-c") && eps.containsKey("service-d");
          },
          apps.toArray(Proc[]::new));
    }
    // the chain works end to end before anything fails
    awaitTrue(
        "A → B → C → D to answer 200 with D up",
        Duration.ofSeconds(60),
        () -> {
          try {
            return order(true) == 200;
          } catch (AssertionError e) {
            return false; // not connected yet
          }
        },
        apps.toArray(Proc[]::new));
  }

  @AfterAll
  void stopChain() throws IOException {
    Proc.stopAll(apps);
    if (controlPlane != null) {
      controlPlane.stop();
    }
    writeReport();
  }

  /** One VirtualService per service of the chain; with {@code retryOn: 5xx} on every hop, or none (Istio's default policy). */
  static String chainRoutes(boolean retryOn5xx) {
    StringBuilder yaml = new StringBuilder();
    for (String service : List.of("service-b", "service-c", "service-d")) {
      yaml.append(
          """
          apiVersion: networking.istio.io/v1
          kind: VirtualService
          metadata:
            name: %s
          spec:
            hosts: [%s]
            http:
            - route:
              - destination: {host: %s}
          """
              .formatted(service, service, service));
      if (retryOn5xx) {
        yaml.append(
            """
                retries:
                  attempts: 2
                  retryOn: 5xx
            """);
      }
      yaml.append("---\n");
    }
    return yaml.toString();
  }

  // ---- the scenarios, as issue 7 lists them ------------------------------------------------------

  @Test
  @Order(1)
  void meshDefaults_dDown_atMost3point6CallsToDPerRequest_withAndWithoutTheAppRetry() {
    assertDownBounded(scenario("d-down", "mesh-defaults", true, 9));
    assertDownBounded(scenario("d-down", "mesh-defaults", false, 3));
  }

  @Test
  @Order(2)
  void meshDefaults_dFailsOneInThree_noAppRetry_theMeshRescuesAtLeast90Percent() {
    ObjectNode r = scenario("d-one-in-three", "mesh-defaults", false, 3);
    assertThat(r.path("successPercent").asDouble()).as(r.toString()).isGreaterThanOrEqualTo(90.0);
  }

  @Test
  @Order(3)
  void meshDefaults_dFailsOneInThree_withAppRetry_atLeast93PercentAndAtMost1point75CallsToD() {
    assertAppRetryRescues(scenario("d-one-in-three", "mesh-defaults", true, 9));
  }

  @Test
  @Order(4)
  void retryOn5xxOnEveryHop_dDown_atMost3point6CallsToDPerRequest_withAndWithoutTheAppRetry() {
    assertDownBounded(scenario("d-down", "retryOn-5xx-every-hop", true, 81));
    assertDownBounded(scenario("d-down", "retryOn-5xx-every-hop", false, 27));
  }

  @Test
  @Order(5)
  void retryOn5xxOnEveryHop_dFailsOneInThree_noAppRetry_theMeshRescuesAtLeast90Percent() {
    ObjectNode r = scenario("d-one-in-three", "retryOn-5xx-every-hop", false, 27);
    assertThat(r.path("successPercent").asDouble()).as(r.toString()).isGreaterThanOrEqualTo(90.0);
  }

  @Test
  @Order(6)
  void retryOn5xxOnEveryHop_dFailsOneInThree_withAppRetry_atLeast93PercentAndAtMost1point75CallsToD() {
    assertAppRetryRescues(scenario("d-one-in-three", "retryOn-5xx-every-hop", true, 81));
  }

  private static void assertDownBounded(ObjectNode r) {
    double perRequest = r.path("callsToDPerRequest").asDouble();
    assertThat(r.path("successPercent").asDouble()).as("D is down: nothing can succeed " + r).isEqualTo(0.0);
    // not met by a chain that never got to D: with the app's retry each of its 3 attempts reached
    // D; without it, the mesh retried D's 503 at some hop (what rescues the one-in-three scenarios)
    if (r.path("appRetry").asBoolean()) {
      assertThat(perRequest).as("calls to D per request " + r).isGreaterThanOrEqualTo(3.0);
    } else {
      assertThat(perRequest).as("the mesh retried D's 503 at some hop " + r).isGreaterThan(1.0);
    }
    assertThat(perRequest).as("calls to D per request " + r).isLessThanOrEqualTo(3.6);
  }

  private static void assertAppRetryRescues(ObjectNode r) {
    assertThat(r.path("successPercent").asDouble()).as(r.toString()).isGreaterThanOrEqualTo(93.0);
    assertThat(r.path("callsToDPerRequest").asDouble()).as(r.toString()).isGreaterThan(1.0).isLessThanOrEqualTo(1.75);
  }

  /** Runs {@link #REQUESTS} sequential requests into A with D in {@code dMode}; records and prints the figures. */
  private ObjectNode scenario(String dMode, String policy, boolean appRetry, int naiveCallsToD) {
    Smoke.applyPolicy(policies.resolve("chain.yaml"), chainRoutes(policy.equals("retryOn-5xx-every-hop")), List.of(A, B, C), controlPlane);
    String mode = dMode.equals("d-down") ? "down" : "one-in-three";
    assertThat(control(D, "/control/mode?set=" + mode)).isEqualTo(mode);
    for (String app : List.of(A, B, C)) {
      control(app, "/control/reset");
    }
    int ok = 0;
    for (int i = 0; i < REQUESTS; i++) {
      if (order(appRetry) == 200) {
        ok++;
      }
    }
    int callsToD = Integer.parseInt(control(D, "/control/count"));
    assertThat(Integer.parseInt(control(A, "/control/count"))).as("requests A served").isEqualTo(REQUESTS);
    ObjectNode r = Smoke.JSON.createObjectNode();
    r.put("scenario", dMode);
    r.put("policy", policy);
    r.put("appRetry", appRetry);
    r.put("requests", REQUESTS);
    r.put("callsToD", callsToD);
    r.put("callsToDPerRequest", round2((double) callsToD / REQUESTS));
    r.put("successPercent", round2(100.0 * ok / REQUESTS));
    r.put("callsToB", Integer.parseInt(control(B, "/control/count")));
    r.put("callsToC", Integer.parseInt(control(C, "/control/count")));
    r.put("naiveCallsToDPerRequest", naiveCallsToD);
    results.add(r);
    System.out.println(
        String.format(
            Locale.ROOT,
            "RETRY-AMPLIFICATION jvm=%s scenario=%s policy=%s app-retry=%s requests=%d calls-to-d=%d calls-to-d-per-request=%.2f success-pct=%.1f naive-calls-to-d-per-request=%d",
            Smoke.LABEL, dMode, policy, appRetry ? "on" : "off", REQUESTS, callsToD, (double) callsToD / REQUESTS, 100.0 * ok / REQUESTS, naiveCallsToD));
    return r;
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /** One request into A, from this test JVM (no agent): A's status. */
  private static int order(boolean appRetry) {
    HttpResponse<String> r =
        Smoke.send(HttpRequest.newBuilder(URI.create("http://" + A + ":8080/order?retry=" + (appRetry ? "app" : "none"))).timeout(Duration.ofSeconds(60)).build());
    return r.statusCode();
  }

  /** The control path of an app of the chain, called directly by address: not through any mesh. */
  private static String control(String address, String path) {
    HttpResponse<String> r =
        Smoke.send(HttpRequest.newBuilder(URI.create("http://" + address + ":8080" + path)).timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()).build());
    assertThat(r.statusCode()).as(path + " at " + address + ": " + r.body()).isEqualTo(200);
    return r.body();
  }

  /** Merges this JVM's figures into target/retry-amplification.json ({jvm label: {scenarios: [...]}}). */
  private void writeReport() throws IOException {
    if (results.isEmpty()) {
      return;
    }
    ObjectNode root = Files.exists(REPORT) ? (ObjectNode) Smoke.JSON.readTree(REPORT.toFile()) : Smoke.JSON.createObjectNode();
    ObjectNode run = root.putObject(Smoke.LABEL);
    run.put("java", Smoke.JAVA);
    run.put("requestsPerScenario", REQUESTS);
    run.put("rule", "network errors retried at the hop where they happen; under an application retry the mesh retries no statuses and tells the hops below (x-inmesh-retry-owner: app); a failure already retried below comes back with x-inmesh-retries: exhausted and is not retried above");
    ArrayNode list = run.putArray("scenarios");
    results.forEach(list::add);
    Smoke.write(REPORT, Smoke.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
  }
}
