package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.TaskBackends.enc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14: "a version outside a module's range is left alone and reported once, never broken". One
 * unmodified application (apps/outofrange/OutOfRangeCallerApp) with OkHttp 3.14.9, Apache
 * HttpClient 5.0.4 and Apache HttpClient 4.2.6 on its class path (the okhttp, apache-httpclient-5
 * and apache-httpclient-4.5 modules mesh 4.12/5.x, 5.1+ and 4.3–4.5; the jars come from
 * target/outofrange), started once in each profile: the mesh profile
 * (inmesh's lean host) and the traced profile (the OpenTelemetry agent hosts the same modules).
 *
 * <ul>
 *   <li>the old clients still work, unmeshed: a call by address is answered; a call to the mesh name
 *       fails exactly as without the agent ({@code UnknownHostException}: nothing resolved it);
 *   <li>the agent is on in the same JVM: its JDK {@code HttpClient} reaches {@code usuario-service}
 *       by name (https://istio.io/latest/docs/tasks/traffic-management/request-routing/: a mesh
 *       service called by its name);
 *   <li>the agent says once, at WARN, which library and version it left alone and which versions it
 *       meshes, however many clients the application builds.
 * </ul>
 */
@Shows(feature = "untouched", value = {"okhttp4", "apache5", "apache4", "tomcat", "tomcat9", "undertow"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class UntouchedLibrariesSmokeTest {
  static final Duration STARTUP = Duration.ofSeconds(150);
  static final String CP = "127.0.40.1:15010";
  static final String BACKEND = "127.0.40.11";
  /** Caller address per profile. */
  static final Map<String, String> CALLERS = new LinkedHashMap<>(Map.of("mesh", "127.0.40.20", "traced", "127.0.40.21"));

  static final String OKHTTP_WARNING =
      "[inmesh] warning: OkHttp 3.14.9 (okhttp-3.14.9.jar) is outside the versions inmesh meshes (4.12 and 5.x); it is left alone: its calls pass through unmeshed, as without the agent";
  static final String APACHE4_WARNING =
      "[inmesh] warning: Apache HttpClient 4.2.6 (httpclient-4.2.6.jar) is outside the versions inmesh meshes (4.3 to 4.5); it is left alone: its calls pass through unmeshed, as without the agent";
  static final String TOMCAT10_WARNING =
      "[inmesh] warning: Apache Tomcat 10.0.27 (tomcat-embed-core-10.0.27.jar) is outside the versions inmesh meshes (9.0, 10.1 and 11); it is left alone: its calls pass through unmeshed, as without the agent";
  static final String TOMCAT85_WARNING =
      "[inmesh] warning: Apache Tomcat 8.5.100 (tomcat-embed-core-8.5.100.jar) is outside the versions inmesh meshes (9.0, 10.1 and 11); it is left alone: its calls pass through unmeshed, as without the agent";
  static final String UNDERTOW_WARNING =
      "[inmesh] warning: Undertow 1.4.28.Final (undertow-core-1.4.28.Final.jar) is outside the versions inmesh meshes (2.0 and later; tested 2.3); it is left alone: its calls pass through unmeshed, as without the agent";
  /** The old servers on each caller's address: kind, line (its jars in target/outofrange-KIND-LINE), port. */
  record OldServer(String kind, String line, int port, int status, String answer) {}

  static final List<OldServer> OLD_SERVERS =
      List.of(
          new OldServer("tomcat", "10.0", 8085, 404, "Apache Tomcat/10.0"),
          new OldServer("tomcat", "8.5", 8086, 404, "Apache Tomcat/8.5"),
          // ResponseCodeHandler(418) answers an empty body
          new OldServer("undertow", "1.4", 8087, 418, ""));
  static final String APACHE_WARNING =
      "[inmesh] warning: Apache HttpClient 5.0.4 (httpclient5-5.0.4.jar) is outside the versions inmesh meshes (5.1 and later); it is left alone: its calls pass through unmeshed, as without the agent";

  final Path tmp = Smoke.workDir("UntouchedLibrariesSmokeTest");
  final Map<String, Proc> callers = new LinkedHashMap<>();
  final List<Proc> all = new ArrayList<>();
  Proc controlPlane;

  @BeforeAll
  void start() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("untouched");
    Smoke.write(policies.resolve("subsets.yaml"), Policies.SUBSETS);
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("control-data"), logs);
    String control = "http://" + CP;
    Map<String, String> backendEnv = inmeshEnv("usuario-service", "app=usuario-service,version=v1", BACKEND, control, tmp.resolve("cache-usuario"));
    backendEnv.put("APP_VERSION", "v1");
    Proc backend = Smoke.meshed("usuario-" + BACKEND, backendEnv, logs, Smoke.plainApp("tasks.TaskBackendApp", BACKEND, "8080"));
    all.add(backend);
    for (Map.Entry<String, String> c : CALLERS.entrySet()) {
      Map<String, String> env = inmeshEnv("pedido-service", "app=pedido-service", c.getValue(), control, tmp.resolve("cache-pedido-" + c.getKey()));
      env.put("INMESH_PROFILE", c.getKey());
      Proc p = Smoke.meshed("outofrange-caller-" + c.getKey(), env, logs, callerCommand(c.getValue()));
      callers.put(c.getKey(), p);
      all.add(p);
    }
    awaitReady(backend, BACKEND, STARTUP);
    for (Map.Entry<String, Proc> c : callers.entrySet()) {
      awaitReady(c.getValue(), CALLERS.get(c.getKey()), STARTUP);
      awaitTrue(c.getKey() + " caller listening", STARTUP, () -> c.getValue().output().contains("listening on"), c.getValue());
      awaitTrue(c.getKey() + " caller's snapshot to hold the usuario-service endpoint", Duration.ofSeconds(30),
          () -> Smoke.endpointsSeenBy(CALLERS.get(c.getKey())).getOrDefault("usuario-service", List.of()).size() == 1, c.getValue(), controlPlane);
    }
  }

  /** The application's own classes and the out-of-range jars (target/outofrange), nothing else. */
  private static List<String> callerCommand(String address) throws IOException {
    List<String> cmd = Smoke.plainApp("outofrange.OutOfRangeCallerApp", address, "8080");
    for (OldServer o : OLD_SERVERS) {
      Path jars = Smoke.ROOT.resolve("smoke-tests/target/outofrange-" + o.kind() + "-" + o.line());
      assertThat(jars).as("smoke-tests' maven-dependency-plugin copies " + o).isDirectory();
      cmd.add(o.kind() + "=" + jars + ":" + o.port());
    }
    Path dir = Smoke.ROOT.resolve("smoke-tests/target/outofrange");
    try (Stream<Path> jars = Files.list(dir)) {
      String cp = jars.filter(p -> p.toString().endsWith(".jar")).sorted().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
      assertThat(cp).as("jars in " + dir + " (smoke-tests' maven-dependency-plugin)").contains("okhttp-3.14.9.jar", "httpclient5-5.0.4.jar", "httpclient-4.2.6.jar");
      int at = cmd.indexOf("-cp") + 1;
      cmd.set(at, cmd.get(at) + File.pathSeparator + cp);
    }
    return cmd;
  }

  @AfterAll
  void stop() {
    Proc.stopAll(all);
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  private static JsonNode call(String profile, String client, String url) {
    return Smoke.getJson("http://" + CALLERS.get(profile) + ":8080/call?client=" + client + "&url=" + enc(url));
  }

  @Test
  @Order(1)
  void theAgentMeshesTheJdkClientInTheSameJvm() {
    for (String profile : CALLERS.keySet()) {
      JsonNode r = call(profile, "jdk", "http://usuario-service/usuarios/1");
      assertThat(r.path("status").asInt()).as(profile + " " + r + "\n" + callers.get(profile).tail(30)).isEqualTo(200);
      assertThat(r.path("body").asText()).as(profile).contains("\"version\":\"v1\"");
    }
  }

  @Test
  @Order(2)
  void outOfRangeClientsStillWorkUnmeshed() {
    for (String profile : CALLERS.keySet()) {
      for (String client : List.of("okhttp3", "apache50", "apache42")) {
        for (int i = 0; i < 3; i++) {
          JsonNode direct = call(profile, client, "http://" + BACKEND + ":8080/usuarios/1");
          assertThat(direct.path("status").asInt()).as(profile + " " + client + " by address " + direct + "\n" + callers.get(profile).tail(30)).isEqualTo(200);
          assertThat(direct.path("body").asText()).as(profile + " " + client).contains("\"version\":\"v1\"");
        }
        JsonNode byName = call(profile, client, "http://usuario-service/usuarios/1");
        assertThat(byName.path("status").asInt()).as(profile + " " + client + " by mesh name: left alone " + byName).isEqualTo(0);
        assertThat(byName.path("error").asText()).as(profile + " " + client + ": the name resolved by nobody, as without the agent")
            .contains("UnknownHostException");
      }
    }
  }

  /**
   * Tomcat 8.5 and 10.0 (older than the Tomcat modules' lines 9.0, 10.1, 11) and Undertow 1.4 serve
   * as without the agent: the server itself answers (Tomcat its 404 page, no application being
   * deployed; Undertow its handler's 418), no inbound stage, and their listeners are not registered
   * with the mesh (only the caller's own JDK server is).
   */
  @Test
  @Order(3)
  void outOfRangeServersServeUnmeshedAndAreNotRegistered() {
    for (Map.Entry<String, String> c : CALLERS.entrySet()) {
      Proc caller = callers.get(c.getKey());
      for (OldServer o : OLD_SERVERS) {
        String what = c.getKey() + " " + o.kind() + " " + o.line();
        awaitTrue(what + " started", Duration.ofSeconds(60), () -> caller.output().contains("old " + o.kind() + " " + o.line()), caller);
        java.net.http.HttpResponse<String> r =
            Smoke.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + c.getValue() + ":" + o.port() + "/anything"))
                .timeout(Duration.ofSeconds(10)).build());
        assertThat(r.statusCode()).as(what + ": the server's own answer " + r.body()).isEqualTo(o.status());
        assertThat(r.body()).as(what).contains(o.answer());
      }
      List<String> ports = new ArrayList<>();
      for (JsonNode a : Smoke.getJson("http://" + CP + "/v1/agents").path("agents")) {
        if (a.path("address").asText().equals(c.getValue())) {
          ports.add(a.path("ports").toString());
        }
      }
      assertThat(ports).as(c.getKey() + ": only the caller's own JDK server is registered, no old server's listener").containsExactly("[8080]");
    }
  }

  @Test
  @Order(4)
  void eachLibraryLeftAloneIsReportedOnceAtWarn() {
    for (Map.Entry<String, Proc> c : callers.entrySet()) {
      List<String> lines = c.getValue().output().lines().toList();
      String why = c.getKey() + "\n" + c.getValue().tail(40);
      assertThat(lines).as(c.getKey() + ": the start line names the profile").anyMatch(l -> l.startsWith("[inmesh] inmesh ") && l.contains(" profile=" + c.getKey() + " "));
      assertThat(lines.stream().filter(OKHTTP_WARNING::equals).count()).as(why).isEqualTo(1);
      assertThat(lines.stream().filter(APACHE_WARNING::equals).count()).as(why).isEqualTo(1);
      assertThat(lines.stream().filter(APACHE4_WARNING::equals).count()).as(why).isEqualTo(1);
      assertThat(lines.stream().filter(TOMCAT10_WARNING::equals).count()).as(why).isEqualTo(1);
      assertThat(lines.stream().filter(TOMCAT85_WARNING::equals).count()).as(why).isEqualTo(1);
      assertThat(lines.stream().filter(UNDERTOW_WARNING::equals).count()).as(why).isEqualTo(1);
      assertThat(lines.stream().filter(l -> l.contains("is outside the versions inmesh meshes")).count())
          .as(c.getKey() + ": nothing else reported (no other library of a guarded module is on the class path)").isEqualTo(6);
      assertThat(lines).as(c.getKey() + ": no error of the agent's").noneMatch(l -> l.contains("[inmesh] internal error") || l.contains("could not transform"));
    }
  }
}
