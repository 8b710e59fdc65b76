package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.Smoke.plainApp;
import static io.inmesh.smoke.TaskBackends.enc;
import static io.inmesh.smoke.TaskBackends.field;
import static io.inmesh.smoke.TaskBackends.listener;
import static io.inmesh.smoke.TaskBackends.servedBy;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
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
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * OpenFeign meshed, and the application retries the mesh recognises besides Resilience4j (issue 14
 * items 1 and 4). One unmodified caller (apps/feign/FeignCallerApp: Feign 13.6 over its default
 * client and over feign-okhttp on OkHttp 4.12, Spring Retry, Spring's WebClient) calls
 * {@code http://usuario-service}, whose subsets v1 and v2 have two endpoints each (task backends).
 *
 * <ul>
 *   <li>Feign is a layer over clients the agent already meshes: each Feign call must be exactly one
 *       mesh decision and one request upstream, never routed twice.
 *   <li>The README's "No retry storms" rule: while the application's own retry (Feign's
 *       {@code Retryer}, Spring Retry's {@code RetryTemplate} and {@code @Retryable}, Spring
 *       Framework 7's own {@code RetryTemplate}, Reactor's {@code retryWhen} around WebClient and
 *       around the JDK {@code HttpClient}) wraps a call, the mesh retries no status for it, so a failing upstream
 *       sees the application's attempts, not their product with the route's retries.
 * </ul>
 */
@Shows(feature = "suite", value = {"feign"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FeignMeshSmokeTest {
  static final Duration STARTUP = Duration.ofSeconds(300);
  static final String CP = "127.0.30.1:15010";
  static final String CALLER = "127.0.30.20";
  /** The same caller in the traced profile (the embedded OpenTelemetry agent hosts inmesh). */
  static final String TRACED_CALLER = "127.0.30.21";
  static final List<String> V1 = List.of("127.0.30.11", "127.0.30.12");
  static final List<String> V2 = List.of("127.0.30.13", "127.0.30.14");

  /**
   * The seed's header canary (x-canary: true to v2, everything else to v1;
   * https://istio.io/latest/docs/tasks/traffic-management/request-routing/), behind a rule that
   * gives {@code /flaky} the route retries of
   * https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry: 2 retries
   * on 5xx, so a call the application does not retry reaches a failing upstream 3 times.
   */
  static final String ROUTES =
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
              prefix: /flaky
          route:
          - destination: {host: usuario-service, subset: v1}
          retries:
            attempts: 2
            retryOn: 5xx
        - match:
          - headers:
              x-canary:
                exact: "true"
          route:
          - destination: {host: usuario-service, subset: v2}
        - route:
          - destination: {host: usuario-service, subset: v1}
      """;

  final Path tmp = Smoke.workDir("FeignMeshSmokeTest");
  final List<Proc> apps = new ArrayList<>();
  Proc controlPlane;
  Proc caller;
  Proc tracedCaller;

  @BeforeAll
  void startMesh() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("feign");
    Smoke.write(policies.resolve("subsets.yaml"), Policies.SUBSETS);
    Smoke.write(policies.resolve("routes.yaml"), ROUTES);
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("control-data"), logs, "60s");
    String control = "http://" + CP;
    List<String> all = all();
    for (String address : all) {
      String version = V1.contains(address) ? "v1" : "v2";
      Map<String, String> env = inmeshEnv("usuario-service", "app=usuario-service,version=" + version, address, control, tmp.resolve("cache-usuario"));
      env.put("APP_VERSION", version);
      apps.add(meshed("usuario-" + address, env, logs, plainApp("tasks.TaskBackendApp", address, "8080")));
    }
    caller = meshed("feign-caller", inmeshEnv("pedido-service", "app=pedido-service", CALLER, control, tmp.resolve("cache-pedido")), logs, callerCommand(CALLER));
    apps.add(caller);
    tracedCaller = Smoke.meshedTraced(
        "feign-caller-traced", inmeshEnv("pedido-service", "app=pedido-service", TRACED_CALLER, control, tmp.resolve("cache-pedido-traced")), logs, callerCommand(TRACED_CALLER));
    apps.add(tracedCaller);
    for (int i = 0; i < all.size(); i++) {
      awaitReady(apps.get(i), all.get(i), STARTUP);
    }
    awaitReady(caller, CALLER, STARTUP);
    awaitReady(tracedCaller, TRACED_CALLER, STARTUP);
    for (Proc app : apps) {
      awaitTrue(app.name() + " listening", STARTUP, () -> app.output().contains("listening on"), app);
    }
    awaitTrue("the caller's snapshot to hold the four usuario-service endpoints", Duration.ofSeconds(30),
        () -> Smoke.endpointsSeenBy(CALLER).getOrDefault("usuario-service", List.of()).size() == 4, caller, controlPlane);
    awaitTrue("the traced caller's snapshot to hold the four usuario-service endpoints", Duration.ofSeconds(30),
        () -> Smoke.endpointsSeenBy(TRACED_CALLER).getOrDefault("usuario-service", List.of()).size() == 4, tracedCaller, controlPlane);
  }

  /** The caller with Feign, feign-okhttp, Spring Retry, WebClient (Reactor Netty) and OkHttp 4.12 on its class path. */
  private static List<String> callerCommand(String address) {
    List<String> cmd = OkHttpJars.with(4, Smoke.plainAppWithClientLibraries("feign.FeignCallerApp", address, "8080"));
    int at = cmd.indexOf("-cp") + 1;
    StringBuilder cp = new StringBuilder(cmd.get(at));
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.replace('\\', '/').contains("/io/github/openfeign/")) {
        cp.append(File.pathSeparator).append(entry);
      }
    }
    cmd.set(at, cp.toString());
    cmd.add(0, "-Dfeign.old.classpath=" + Smoke.ROOT.resolve("smoke-tests/target/feign-13.1/feign-core-13.1.jar"));
    cmd.add(0, "-Dspring7.classpath=" + jars(Smoke.ROOT.resolve("smoke-tests/target/spring-core-7")));
    return cmd;
  }

  /** The jars in {@code dir} (copied there by smoke-tests' maven-dependency-plugin), as a class path. */
  private static String jars(Path dir) {
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      String cp = files.map(Path::toString).filter(p -> p.endsWith(".jar")).sorted().collect(java.util.stream.Collectors.joining(File.pathSeparator));
      assertThat(cp).as("jars in " + dir).isNotEmpty();
      return cp;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterAll
  void stopMesh() {
    Proc.stopAll(apps);
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  static List<String> all() {
    List<String> all = new ArrayList<>(V1);
    all.addAll(V2);
    return all;
  }

  private JsonNode call(String client, int n, String header) {
    return Smoke.getJson("http://" + CALLER + ":8080/call?client=" + client + "&n=" + n + (header == null ? "" : "&h=" + enc(header)));
  }

  private long stat(String name) {
    JsonNode v = Smoke.getJson("http://" + CALLER + ":15000/stats").findValue(name);
    assertThat(v).as("/stats " + name).isNotNull();
    return v.asLong();
  }

  /**
   * 100 calls per header value through a Feign interface over each client, and through AsyncFeign: {@code x-canary: true}
   * to v2, no header or {@code false} to v1, both endpoints of each subset share them, the Host
   * header keeps the logical name, and the caller's mesh took exactly one decision (one call, one
   * attempt) per Feign call: the layered client is routed once, by the client below Feign.
   */
  @Shows(feature = "canary", value = {"feign"})
  @Test
  @Order(1)
  void feignOverEachClient_seedCanary_oneMeshDecisionPerCall() {
    // feign-async: AsyncFeign (feign-core 13) over its default AsyncClient, Client.Default on an executor
    for (String client : List.of("feign-default", "feign-okhttp", "feign-async")) {
      int served = servedBy(all());
      long calls = stat("calls");
      long attempts = stat("attempts");
      JsonNode canary = call(client, 100, "x-canary:true");
      assertThat(canary.path("statuses").toString()).as(client + " canary " + canary.path("results").get(0)).isEqualTo("{\"200\":100}");
      assertThat(field(canary, "version")).as(client + " canary").containsOnly("v2");
      assertThat(field(canary, "listener")).as(client + " canary: both v2 endpoints").containsOnly(listener(V2.get(0)), listener(V2.get(1)));
      JsonNode plain = call(client, 100, null);
      JsonNode notCanary = call(client, 100, "x-canary:false");
      for (JsonNode r : List.of(plain, notCanary)) {
        assertThat(r.path("statuses").toString()).as(client).isEqualTo("{\"200\":100}");
        assertThat(field(r, "version")).as(client).containsOnly("v1");
        assertThat(field(r, "listener")).as(client + ": both v1 endpoints").containsOnly(listener(V1.get(0)), listener(V1.get(1)));
        assertThat(field(r, "host")).as(client + ": the Host header keeps the logical name").containsOnly("usuario-service");
      }
      assertThat(servedBy(all()) - served).as(client + ": requests upstream for 300 calls").isEqualTo(300);
      assertThat(stat("calls") - calls).as(client + ": mesh decisions for 300 Feign calls").isEqualTo(300);
      assertThat(stat("attempts") - attempts).as(client + ": mesh attempts for 300 Feign calls").isEqualTo(300);
    }
  }

  private JsonNode retry(String lib, String key) {
    return retry(CALLER, lib, key);
  }

  private JsonNode retry(String callerAddress, String lib, String key) {
    return Smoke.getJson("http://" + callerAddress + ":8080/retry?lib=" + lib + "&key=" + enc(key));
  }

  private void meshRetries(String lib) {
    meshRetries(CALLER, lib);
  }

  /** A call the application retries three times: the upstream sees those 3 attempts, not 3 × 3. */
  private JsonNode applicationRetries(String callerAddress, String lib, String key, String label) {
    JsonNode r = retry(callerAddress, lib, key);
    assertThat(r.path("appAttempts").asInt()).as(lib + " " + r).isEqualTo(3);
    assertThat(r.path("outcome").asText()).as(lib).startsWith("threw:503");
    assertThat(servedBy(V1, key)).as(label + ": requests upstream for the application's 3 attempts").isEqualTo(3);
    return r;
  }

  /** A call no application retry wraps: the route's 2 retries on 5xx reach the failing upstream. */
  private void meshRetries(String callerAddress, String lib) {
    String key = lib + "-" + UUID.randomUUID();
    JsonNode r = retry(callerAddress, lib, key);
    assertThat(r.path("appAttempts").asInt()).as(lib + " " + r).isEqualTo(1);
    assertThat(r.path("outcome").asText()).as(lib).startsWith("threw:503");
    assertThat(servedBy(V1, key)).as(lib + ": the mesh retried the 503 twice (1 + 2)").isEqualTo(3);
  }

  /**
   * The README's "No retry storms" (the mesh retries no status while the application's own retry
   * wraps the call): Feign's Retryer over both clients and in both 13.x layouts (13.6, and 13.1 in a
   * class loader of its own), RetryTemplate, @Retryable and Reactor's
   * retryWhen and retry(n) on Mono and Flux, each three attempts at an upstream that always answers 503 under a route with 2
   * retries on 5xx: the upstream sees the application's 3 attempts, not 3 × 3. The same caller
   * without an application retry (Feign with NEVER_RETRY, WebClient without retryWhen), before and
   * after, still gets the mesh's retries: the scopes end with each execution.
   * https://istio.io/latest/docs/concepts/traffic-management/#retries
   */
  @Shows(feature = "app-retry", value = {"feign-retryer", "spring-retry", "reactor-retry"})
  @Test
  @Order(2)
  void applicationRetries_theMeshDoesNotMultiplyAttempts() {
    meshRetries("feign-never");
    meshRetries("feign-async-never");
    meshRetries("webclient");
    meshRetries("jdk-mono");
    long left = stat("retriesLeftToTheApplication");
    // spring-core-retry: Spring Framework 7's org.springframework.core.retry.RetryTemplate; reactor-jdk*:
    // Reactor's retryWhen around the JDK HttpClient (fromCallable + subscribeOn, fromCallable inline,
    // fromFuture(() -> sendAsync(..))), not Reactor Netty
    // feign-async-retryer: AsyncFeign's retryer, each attempt sent on the default AsyncClient's executor
    List<String> libs = List.of("feign-retryer", "feign-okhttp-retryer", "feign-old-retryer", "feign-async-retryer", "retry-template", "retryable", "reactor",
        "reactor-retry-n", "reactor-flux", "reactor-flux-retry-n",
        "spring-core-retry", "reactor-jdk", "reactor-jdk-inline", "reactor-jdk-async");
    for (String lib : libs) {
      JsonNode r = applicationRetries(CALLER, lib, lib + "-" + UUID.randomUUID(), lib);
      if (lib.equals("feign-old-retryer")) {
        assertThat(r.path("feign").asText()).as("the older Feign made the call").isEqualTo("feign-core-13.1.jar");
      }
      if (lib.equals("spring-core-retry")) {
        assertThat(r.path("feign").asText()).as("Spring Framework 7's RetryTemplate ran").isEqualTo("spring-core-7.0.10.jar");
      }
    }
    assertThat(stat("retriesLeftToTheApplication") - left).as("503s the mesh left to the application").isGreaterThanOrEqualTo(3L * libs.size());
    meshRetries("feign-never");
    meshRetries("feign-async-never");
    meshRetries("webclient");
    meshRetries("jdk-mono");
  }

  /**
   * The same rule in the traced profile, where the embedded OpenTelemetry agent hosts the modules
   * and its own list of ignored types applies (it leaves {@code org.springframework.core.*} alone, so
   * Spring Framework 7's RetryTemplate went unseen there until the spring-retry module allowed it):
   * the application retries that sit where that list could hide them, and the mesh still retrying
   * a call no application retry wraps.
   * https://istio.io/latest/docs/concepts/traffic-management/#retries
   */
  @Test
  @Order(3)
  void applicationRetries_tracedProfile_theMeshDoesNotMultiplyAttempts() {
    assertThat(tracedCaller.output()).as("the traced caller's start line").contains("profile=traced");
    meshRetries(TRACED_CALLER, "webclient");
    meshRetries(TRACED_CALLER, "jdk-mono");
    for (String lib : List.of("spring-core-retry", "retry-template", "retryable", "feign-retryer", "reactor", "reactor-flux-retry-n", "reactor-jdk")) {
      applicationRetries(TRACED_CALLER, lib, lib + "-traced-" + UUID.randomUUID(), lib + " (traced)");
    }
  }
}
