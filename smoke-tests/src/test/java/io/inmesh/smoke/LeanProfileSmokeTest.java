package io.inmesh.smoke;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
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
 * Issue 13: the same agent jar in the <b>mesh profile</b>, chosen by the automatic rule (no
 * OpenTelemetry exporter configured, no INMESH_PROFILE): inmesh's modules on the lean Byte Buddy
 * host, no OpenTelemetry agent. One fleet for the class: a control plane with a CA, a caller
 * (TaskCallerApp: JDK HttpClient sync and async, HttpURLConnection) and two versions of a backend
 * (TaskBackendApp on the JDK HttpServer), all with join tokens, mesh-wide PeerAuthentication STRICT,
 * an AuthorizationPolicy DENY; and two one-shot JVMs of an application using the OpenTelemetry API,
 * one per profile.
 *
 * <p>Istio pages followed: VirtualService weights and HTTPRetry
 * (https://istio.io/latest/docs/reference/config/networking/virtual-service/), PeerAuthentication
 * STRICT (https://istio.io/latest/docs/reference/config/security/peer_authentication/), the
 * AuthorizationPolicy DENY action and its 403 {@code RBAC: access denied}
 * (https://istio.io/latest/docs/reference/config/security/authorization-policy/).
 */
@Shows(feature = "mesh-profile", value = {"jdk", "huc", "jdk-server"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LeanProfileSmokeTest {
  static final String CONTROL = "127.0.16.1:15010";
  static final String CALLER = "127.0.16.10";
  static final String V1 = "127.0.16.21";
  static final String V2 = "127.0.16.22";
  static final List<String> CLIENTS = List.of("jdk", "jdk-async", "huc");

  static final String POLICIES =
      """
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: default
        namespace: istio-system
      spec:
        mtls:
          mode: STRICT
      ---
      # the caller also serves this test JVM, which has no certificate
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: caller
        namespace: default
      spec:
        selector:
          matchLabels:
            app: lean-caller
        mtls:
          mode: PERMISSIVE
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata:
        name: lean-backend
      spec:
        host: lean-backend
        subsets:
        - name: v1
          labels: {version: v1}
        - name: v2
          labels: {version: v2}
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: lean-backend
      spec:
        hosts: [lean-backend]
        http:
        - match:
          - headers:
              x-retry:
                exact: "yes"
          route:
          - destination: {host: lean-backend, subset: v1}
          retries:
            attempts: 3
            retryOn: 5xx
        - match:
          - headers:
              x-retry:
                exact: "no"
          route:
          - destination: {host: lean-backend, subset: v1}
          retries:
            attempts: 0
        - route:
          - destination: {host: lean-backend, subset: v1}
            weight: 50
          - destination: {host: lean-backend, subset: v2}
            weight: 50
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: lean-backend-deny-admin
      spec:
        selector:
          matchLabels:
            app: lean-backend
        action: DENY
        rules:
        - to:
          - operation:
              paths: ["/admin/*"]
      """;

  MeshIdentityFleet fleet;
  Proc caller;
  Proc v1;
  Proc v2;
  Proc meshProbe;
  Proc tracedProbe;

  @BeforeAll
  void startFleet() throws Exception {
    Path tmp = Smoke.workDir("LeanProfileSmokeTest");
    fleet = new MeshIdentityFleet(tmp, Smoke.LOGS.resolve("lean-profile"), CONTROL);
    Smoke.write(fleet.policies.resolve("lean.yaml"), POLICIES);
    // the OpenTelemetry API application, once per profile, while the mesh starts (no control plane needed)
    Map<String, String> probeEnv = new java.util.HashMap<>(Map.of("INMESH_PROFILE", Smoke.AUTO_PROFILE, "INMESH_SERVICE", "probe",
        "INMESH_ADMIN_ADDRESS", "127.0.16.30", "INMESH_CACHE_DIR", tmp.resolve("cache-probe").toString()));
    meshProbe = fleet.start("probe-mesh", probeEnv, probeApp());
    Map<String, String> tracedEnv = new java.util.HashMap<>(probeEnv);
    tracedEnv.put("INMESH_ADMIN_ADDRESS", "127.0.16.31");
    tracedEnv.put("OTEL_TRACES_EXPORTER", "logging");
    tracedProbe = fleet.start("probe-traced", tracedEnv, probeApp());

    fleet.startControlPlane();
    fleet.tokens("lean-caller", "lean-backend");
    Map<String, String> c = fleet.env("lean-caller", CALLER);
    c.put("INMESH_PROFILE", Smoke.AUTO_PROFILE);
    // an OTel setting the mesh profile does not honour: named in the one warning
    c.put("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=lean");
    caller = fleet.start("caller", c, Smoke.plainApp("tasks.TaskCallerApp", CALLER, "8080"));
    Map<String, String> e1 = fleet.env("lean-backend", "app=lean-backend,version=v1", V1, fleet.tokens.get("lean-backend"), "v1");
    e1.put("APP_VERSION", "v1");
    e1.put("INMESH_PROFILE", Smoke.AUTO_PROFILE);
    v1 = fleet.start("backend-v1", e1, Smoke.plainApp("tasks.TaskBackendApp", V1, "8080"));
    Map<String, String> e2 = fleet.env("lean-backend", "app=lean-backend,version=v2", V2, fleet.tokens.get("lean-backend"), "v2");
    e2.put("APP_VERSION", "v2");
    e2.put("INMESH_PROFILE", Smoke.AUTO_PROFILE);
    v2 = fleet.start("backend-v2", e2, Smoke.plainApp("tasks.TaskBackendApp", V2, "8080"));
    fleet.awaitIdentity(caller, CALLER);
    fleet.awaitIdentity(v1, V1);
    fleet.awaitIdentity(v2, V2);
    Smoke.awaitTrue("the caller application listening", Duration.ofSeconds(60),
        () -> Smoke.status("http://" + CALLER + ":8080/control/none") != -1, caller);
    Smoke.awaitTrue("the caller sees both backends", Duration.ofSeconds(60),
        () -> Smoke.endpointsSeenBy(CALLER).getOrDefault("lean-backend", List.of()).size() == 2, caller, fleet.controlPlane);
    // ready = one meshed call per client answered (a first mTLS handshake on a loaded machine can
    // outlast the connect timeout; the scenarios below count every call)
    for (String client : CLIENTS) {
      Smoke.awaitTrue(client + " reaches the backend", Duration.ofSeconds(90),
          () -> call(client, "/warm-up", 1).path("statuses").path("200").asInt() == 1, caller, v1, v2);
    }
  }

  @AfterAll
  void stopFleet() {
    if (fleet != null) {
      fleet.stop();
    }
  }

  private List<String> probeApp() {
    List<String> cmd = new ArrayList<>(Smoke.plainApp("OtelApiProbeApp"));
    int at = cmd.indexOf("-cp") + 1;
    StringBuilder cp = new StringBuilder(cmd.get(at));
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      String file = Path.of(entry).getFileName().toString();
      if (file.startsWith("opentelemetry-api-") || file.startsWith("opentelemetry-context-")) {
        cp.append(java.io.File.pathSeparator).append(entry);
      }
    }
    cmd.set(at, cp.toString());
    return cmd;
  }

  static JsonNode call(String client, String path, int n, String... headers) {
    StringBuilder url = new StringBuilder("http://" + CALLER + ":8080/call?client=" + client + "&n=" + n + "&concurrency=1&timeoutMs=20000");
    url.append("&url=").append(URLEncoder.encode("http://lean-backend" + path, StandardCharsets.UTF_8));
    for (String h : headers) {
      url.append("&h=").append(URLEncoder.encode(h, StandardCharsets.UTF_8));
    }
    return Smoke.getJson(url.toString());
  }

  @Test
  @Order(1)
  void theStartLineNamesTheMeshProfileAndWarnsOnceAboutOtelSettingsItIgnores() {
    for (Proc p : List.of(caller, v1, v2)) {
      String out = p.output();
      assertThat(out).as(p.name()).contains("profile=mesh (no OpenTelemetry exporter configured)");
      // the lean host ran every module: none skipped, no type left untransformed
      assertThat(out).as(p.name()).doesNotContain("[inmesh] warning: module").doesNotContain("could not transform")
          .doesNotContain("host failed to start").doesNotContain("could not define its helpers")
          // Java 24+ warns when sun.misc.Unsafe is touched; the lean host never does
          .doesNotContain("sun.misc.Unsafe");
    }
    String warning = "[inmesh] warning: OTEL_RESOURCE_ATTRIBUTES takes effect only in the traced profile";
    assertThat(caller.output()).contains(warning);
    assertThat(caller.output().split(java.util.regex.Pattern.quote(warning), -1)).as("said once").hasSize(2);
    assertThat(v1.output()).doesNotContain("takes effect only in the traced profile");
  }

  @Test
  @Order(2)
  void routingByNameSplitsAcrossTwoEndpoints_everyJdkClient_virtualServiceWeights() {
    for (String client : CLIENTS) {
      JsonNode r = call(client, "/hello", 40);
      JsonNode statuses = r.path("statuses");
      assertThat(statuses.path("200").asInt()).as(client + " " + r).isEqualTo(40);
      int onV1 = 0;
      int onV2 = 0;
      for (JsonNode one : r.path("results")) {
        if (one.path("version").asText().equals("v1")) {
          onV1++;
        } else if (one.path("version").asText().equals("v2")) {
          onV2++;
        }
        // the logical name stays the Host header the backend sees
        assertThat(one.path("host").asText()).as(client).isEqualTo("lean-backend");
      }
      assertThat(onV1 + onV2).as(client).isEqualTo(40);
      // 50/50 over 40 calls: both sides get some (the chance of one side getting none is 2^-39)
      assertThat(onV1).as(client + " calls on v1").isPositive();
      assertThat(onV2).as(client + " calls on v2").isPositive();
    }
  }

  @Test
  @Order(3)
  void aRetryOn503TurnsAFailureIntoSuccess_httpRetry() {
    for (String client : CLIENTS) {
      // v1 answers 503 to the first request with this key, then 200
      String key = client + "-" + UUID.randomUUID();
      JsonNode retried = call(client, "/flaky?failures=1&status=503&key=" + key, 1, "x-retry:yes").path("results").get(0);
      assertThat(retried.path("status").asText()).as(client + " " + retried).isEqualTo("200");
      assertThat(retried.path("version").asText()).isEqualTo("v1");
      // the same request without retries: the 503 reaches the application (so the one above was retried)
      String once = client + "-" + UUID.randomUUID();
      JsonNode plain = call(client, "/flaky?failures=1&status=503&key=" + once, 1, "x-retry:no").path("results").get(0);
      assertThat(plain.path("status").asText()).as(client + " " + plain).isEqualTo("503");
    }
  }

  @Test
  @Order(4)
  void strictMtlsBetweenMeshedWorkloadsRefusesPlainTextAndADenyPolicyAnswers403_peerAuthenticationAndAuthorizationPolicy() {
    // meshed calls succeed under STRICT: the caller originated mTLS, the backend verified it
    for (String client : CLIENTS) {
      JsonNode ok = call(client, "/allowed", 2);
      assertThat(ok.path("statuses").path("200").asInt()).as(client + " " + ok).isEqualTo(2);
      JsonNode denied = call(client, "/admin/users", 1).path("results").get(0);
      assertThat(denied.path("status").asText()).as(client + " " + denied).isEqualTo("403");
      assertThat(denied.path("body").asText()).as(client).contains("RBAC: access denied");
    }
    // plain text from this JVM (no agent) never reaches the application
    for (String backend : List.of(V1, V2)) {
      assertThat(MtlsSmokeTest.plainRequest(backend, 8080, "")).as(backend).doesNotContain("HTTP/1.1").doesNotContain("v1").doesNotContain("v2");
      assertThat(Smoke.status("http://" + backend + ":8080/hello")).as(backend).isEqualTo(-1);
    }
  }

  @Test
  @Order(5)
  void anApplicationUsingTheOpenTelemetryApiGetsTheNoopApiInMesh_andRealSpansInTraced() {
    Smoke.awaitTrue("the probes to finish", Duration.ofSeconds(120), () -> !meshProbe.alive() && !tracedProbe.alive());
    String mesh = meshProbe.output();
    assertThat(mesh).contains("profile=mesh (no OpenTelemetry exporter configured)");
    assertThat(mesh).as("no-op API in the mesh profile").contains("otel-api span valid=false");
    assertThat(mesh).doesNotContain("lean-probe-span");
    String traced = tracedProbe.output();
    assertThat(traced).contains("profile=traced (OTEL_TRACES_EXPORTER=logging)");
    assertThat(traced).as("the traced profile bridges the API").contains("otel-api span valid=true");
    // the logging exporter printed the span: the traced profile still exports
    assertThat(traced).contains("'lean-probe-span'");
  }

  /**
   * The mesh profile runs from {@code inmesh/host.jar}, a copy of what it needs of the agent jar, and
   * lets go of the whole jar: 16,700 central-directory entries that only the traced profile reads,
   * which cost every meshed JVM 2.1 MB mapped by the JVM for the bootstrap path and 2.2 MB of heap in
   * the application loader (issue 13). Neither a mapping of the agent jar nor an open descriptor on it
   * is left once the application runs; the host jar has both.
   */
  @Test
  @Order(6)
  void theMeshProfileRunsFromItsHostJarAndLetsGoOfTheWholeAgentJar() throws java.io.IOException {
    Path agent = Smoke.AGENT.toRealPath();
    for (Proc p : List.of(caller, v1, v2)) {
      List<String> maps = java.nio.file.Files.readAllLines(Path.of("/proc/" + p.pid() + "/maps"));
      assertThat(maps).as(p.name() + ": the host jar mapped").anyMatch(l -> l.contains("/inmesh-host-") && l.endsWith(".jar"));
      assertThat(maps).as(p.name() + ": the agent jar not mapped").noneMatch(l -> l.endsWith(agent.toString()));
      List<Path> open = new ArrayList<>();
      try (java.util.stream.Stream<Path> fds = java.nio.file.Files.list(Path.of("/proc/" + p.pid() + "/fd"))) {
        for (Path fd : (Iterable<Path>) fds::iterator) {
          try {
            open.add(java.nio.file.Files.readSymbolicLink(fd));
          } catch (java.io.IOException gone) {
            // closed while listing
          }
        }
      }
      assertThat(open).as(p.name() + ": the host jar open").anyMatch(f -> f.getFileName().toString().startsWith("inmesh-host-"));
      assertThat(open).as(p.name() + ": the agent jar closed").doesNotContain(agent);
    }
  }

  /**
   * The mesh profile gives the classes on which inmesh's modules keep per-request state real fields,
   * as the OpenTelemetry agent does in the traced profile (its virtual-field injection): the JDK
   * client's request copies and HttpURLConnection's classes implement {@code InmeshFields}, so a
   * meshed call no longer puts a weak reference into a map per request (issue 13: ~3 % of the meshed
   * frontend's samples and the collector's reference processing). Read from the running JVM by
   * {@code jcmd VM.class_hierarchy}, after the JDK client and HttpURLConnection served calls above.
   */
  @Test
  @Order(7)
  void theMeshProfileGivesVirtualFieldsRealFields() throws Exception {
    Path jcmd = Path.of(Smoke.JAVA).getParent().resolve("jcmd");
    for (String type : List.of("jdk.internal.net.http.HttpRequestImpl", "sun.net.www.protocol.http.HttpURLConnection", "sun.net.www.http.HttpClient")) {
      Process j = new ProcessBuilder(jcmd.toString(), Long.toString(caller.pid()), "VM.class_hierarchy", "-i", "-s", type).redirectErrorStream(true).start();
      String out = new String(j.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(j.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("jcmd finished").isTrue();
      String own = out.substring(Math.max(0, out.indexOf("--" + type + "/")));
      assertThat(own).as(type + " in the mesh profile's caller:\n" + out).contains("implements io.inmesh.bootstrap.InmeshFields");
    }
  }
}
