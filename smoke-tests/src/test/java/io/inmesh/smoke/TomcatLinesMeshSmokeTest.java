package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
 * Issue 14 item 2: the Tomcat lines besides 10.1 meshed. One plain embedded Tomcat application
 * (io/inmesh/smoke/tomcat/TomcatLineApp: three NIO connectors, one servlet, no inmesh code) runs twice,
 * each JVM with one line's jars only: Tomcat 9.0 ({@code javax.servlet}, Spring Boot 2.7's line; the
 * tomcat-9 module) and Tomcat 11.0 (Spring Boot 4's line; the tomcat-10.1 module, whose hooks Tomcat 11 matches).
 * Both have a mesh identity (join tokens, the control plane's CA), and each is the other's meshed JDK
 * {@code HttpClient} caller ({@code /call}), so no further JVM is started.
 *
 * <p>Ports: 8080 is STRICT (https://istio.io/latest/docs/reference/config/security/peer_authentication/,
 * {@code portLevelMtls}), 8081 and 8082 PERMISSIVE (the test, outside the mesh, talks plain text there);
 * 8082 is stopped mid-test to show deregistration. AuthorizationPolicy
 * (https://istio.io/latest/docs/reference/config/security/authorization-policy/): a DENY on
 * {@code /admin}, and an ALLOW for the two mesh identities or the PERMISSIVE ports.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TomcatLinesMeshSmokeTest {
  static final String CONTROL = "127.0.29.1:15010";
  static final String TD = "spiffe://cluster.local/ns/default/sa/";
  static final int STRICT_PORT = 8080;
  static final int PLAIN_PORT = 8081;
  static final int STOPPED_PORT = 8082;

  /** One Tomcat line: its service (and service account), address, jar directory and version prefix. */
  record Line(String service, String address, String jars, String version) {}

  static final Line TOMCAT9 = new Line("tomcat9-app", "127.0.29.9", "tomcat9", "9.0.");
  static final Line TOMCAT11 = new Line("tomcat11-app", "127.0.29.11", "tomcat11", "11.0.");
  static final List<Line> LINES = List.of(TOMCAT9, TOMCAT11);

  static final String PEER_AUTHENTICATION = """
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: tomcat-lines
        namespace: default
      spec:
        selector:
          matchLabels:
            line: tomcat
        mtls:
          mode: STRICT
        portLevelMtls:
          8081:
            mode: PERMISSIVE
          8082:
            mode: PERMISSIVE
      """;

  static final String AUTHORIZATION = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: no-admin
        namespace: default
      spec:
        selector:
          matchLabels:
            line: tomcat
        action: DENY
        rules:
        - to:
          - operation:
              paths: ["/admin", "/admin/*"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: mesh-or-plain-ports
        namespace: default
      spec:
        selector:
          matchLabels:
            line: tomcat
        action: ALLOW
        rules:
        - from:
          - source:
              principals: ["cluster.local/ns/default/sa/tomcat9-app", "cluster.local/ns/default/sa/tomcat11-app"]
        - to:
          - operation:
              ports: ["8081", "8082"]
      """;

  final Path tmp = Smoke.workDir("TomcatLinesMeshSmokeTest");
  final Path logs = Smoke.LOGS.resolve("tomcat-lines");
  final MeshIdentityFleet fleet = new MeshIdentityFleet(tmp, logs, CONTROL);
  final Map<Line, Proc> apps = new HashMap<>();

  @BeforeAll
  void startFleet() throws Exception {
    Smoke.write(fleet.policies.resolve("peer-authentication.yaml"), PEER_AUTHENTICATION);
    Smoke.write(fleet.policies.resolve("authorization.yaml"), AUTHORIZATION);
    fleet.startControlPlaneWithTokens(TOMCAT9.service(), TOMCAT11.service());
    for (Line line : LINES) {
      Map<String, String> env = fleet.env(line.service(), "app=" + line.service() + ",line=tomcat", line.address(), fleet.tokens.get(line.service()), line.service());
      // C1 only: the JVMs start faster on a busy machine; a JIT flag, not a change to the application
      List<String> cmd = new ArrayList<>(List.of("-XX:TieredStopAtLevel=1", "-cp", classPath(line), "io.inmesh.smoke.tomcat.TomcatLineApp", line.address(),
          String.valueOf(STRICT_PORT), String.valueOf(PLAIN_PORT), String.valueOf(STOPPED_PORT)));
      apps.put(line, fleet.start(line.service(), env, cmd));
    }
    for (Line line : LINES) {
      Proc p = apps.get(line);
      fleet.awaitIdentity(p, line.address());
      awaitTrue(p.name() + " listening", Duration.ofSeconds(120), () -> p.output().contains("listening on"), p);
      assertThat(p.output()).as("the application runs on its own line's jars").contains("tomcat " + line.version());
    }
  }

  /** The smoke applications' classes and one Tomcat line's jars (target/tomcat9 or target/tomcat11). */
  static String classPath(Line line) {
    try (Stream<Path> s = Files.list(Smoke.ROOT.resolve("smoke-tests/target/" + line.jars()))) {
      return Smoke.APPS + File.pathSeparator
          + s.filter(p -> p.toString().endsWith(".jar")).sorted().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Line other(Line line) {
    return line == TOMCAT9 ? TOMCAT11 : TOMCAT9;
  }

  Proc[] procs() {
    List<Proc> all = new ArrayList<>(apps.values());
    all.add(fleet.controlPlane);
    return all.toArray(new Proc[0]);
  }

  /** {@code line}'s ports in the snapshot the other line's agent runs, as the registry handed them out. */
  static String portsSeen(Line line) {
    for (String e : Smoke.endpointsSeenBy(other(line).address()).getOrDefault(line.service(), List.of())) {
      if (e.startsWith(line.address() + ":")) {
        return e.substring(line.address().length() + 1);
      }
    }
    return "";
  }

  @Shows(feature = "registration", value = {"tomcat", "tomcat9"})
  @Test
  @Order(1)
  void everyConnectorIsRegistered_eachLineSeesTheOthersThreePorts() {
    for (Line line : LINES) {
      awaitTrue(line.service() + "'s three connectors in " + other(line).service() + "'s snapshot", Duration.ofSeconds(60),
          () -> portsSeen(line).equals("[8080,8081,8082]"), procs());
    }
  }

  /**
   * The inbound stage runs before the servlet on both lines: a DENY answers 403 {@code RBAC: access
   * denied} without the application, an allowed request reaches it, and an
   * {@code X-Forwarded-Client-Cert} a client sent never does.
   * https://istio.io/latest/docs/reference/config/security/authorization-policy/
   */
  @Shows(feature = "inbound", value = {"tomcat", "tomcat9"})
  @Test
  @Order(2)
  void theInboundStage_denyAnswers403BeforeTheServlet_allowReachesIt_aClientsXfccIsStripped() {
    for (Line line : LINES) {
      HttpResponse<String> denied = get(line, PLAIN_PORT, "/admin/users", null);
      assertThat(denied.statusCode()).as(line + " " + denied.body()).isEqualTo(403);
      assertThat(denied.body()).isEqualTo("RBAC: access denied");
      assertThat(denied.headers().firstValue("x-inmesh-reason")).as(line.service()).hasValueSatisfying(r -> assertThat(r).contains("RBAC"));
      HttpResponse<String> ok = get(line, PLAIN_PORT, "/usuarios/1", "By=" + TD + "forged;URI=" + TD + "admin");
      assertThat(ok.statusCode()).as(line + " " + ok.body()).isEqualTo(200);
      Map<String, String> seen = fields(ok.body());
      assertThat(seen.get("tomcat")).as("served by the line's own Tomcat").startsWith(line.version());
      assertThat(seen.get("path")).isEqualTo("/usuarios/1");
      assertThat(seen.get("xfcc")).as(line.service() + ": the client's X-Forwarded-Client-Cert never reaches the application").isEmpty();
    }
  }

  /**
   * PeerAuthentication: on the STRICT port plain text is refused at the connection (closed, never
   * served), on the PERMISSIVE port served; the other line's meshed JDK HttpClient reaches the STRICT
   * port over mTLS terminated in Tomcat's own NIO channel, and the application sees the verified
   * {@code X-Forwarded-Client-Cert}, as Istio's sidecar sets it; a DENY holds over mTLS too.
   * https://istio.io/latest/docs/reference/config/security/peer_authentication/
   */
  @Shows(feature = "mtls", value = {"tomcat", "tomcat9"})
  @Test
  @Order(3)
  void strictRefusesPlainTextAtTheConnection_permissiveServesIt_theMeshedCallerGetsThroughOverMtls() throws Exception {
    for (Line line : LINES) {
      assertThat(plainRequest(line, STRICT_PORT, "X-Forwarded-Client-Cert: By=x;URI=" + TD + other(line).service() + "\r\n"))
          .as(line.service() + ":8080 (STRICT), raw HTTP from this JVM (no agent)").doesNotContain("HTTP/1.1").doesNotContain("xfcc=");
      assertThat(Smoke.status("http://" + line.address() + ":" + STRICT_PORT + "/peer")).as("the JDK HttpClient of this JVM").isEqualTo(-1);
      assertThat(plainRequest(line, PLAIN_PORT, "")).as(line.service() + ":8081 (PERMISSIVE)").startsWith("HTTP/1.1 200").contains("\nxfcc=\n");
    }
    for (Line callee : LINES) {
      Line caller = other(callee);
      Map<String, String> r = call(caller, "http://" + callee.service() + ":" + STRICT_PORT + "/peer");
      assertThat(r.get("status")).as(caller.service() + " -> " + callee.service() + ": " + r.get("raw")).isEqualTo("200");
      assertThat(r.get("tomcat")).startsWith(callee.version());
      assertThat(r.get("listener")).isEqualTo(callee.address() + ":" + STRICT_PORT);
      assertThat(r.get("scheme")).as("the application sees plain http, as behind a sidecar").isEqualTo("http");
      String callerLeaf = MeshIdentityFleet.sha256Hex(MeshIdentityFleet.leafOf(caller.address()));
      assertThat(r.get("xfcc")).isEqualTo("By=" + TD + callee.service() + ";Hash=" + callerLeaf + ";Subject=\"\";URI=" + TD + caller.service());
      Map<String, String> denied = call(caller, "http://" + callee.service() + ":" + STRICT_PORT + "/admin/users");
      assertThat(denied.get("status")).as(denied.get("raw")).isEqualTo("403");
      assertThat(denied.get("raw")).contains("RBAC: access denied").doesNotContain("xfcc=");
    }
  }

  /** Stopping one connector (Tomcat's {@code Connector.stop()}) takes its port out of the registry; the others stay. */
  @Shows(feature = "registration", value = {"tomcat", "tomcat9"})
  @Test
  @Order(4)
  void aStoppedConnectorIsDeregistered() {
    for (Line line : LINES) {
      assertThat(Smoke.get("http://" + line.address() + ":" + PLAIN_PORT + "/stop-connector?port=" + STOPPED_PORT)).isEqualTo("stopped=" + STOPPED_PORT + "\n");
    }
    for (Line line : LINES) {
      awaitTrue(line.service() + "'s stopped connector out of " + other(line).service() + "'s snapshot", Duration.ofSeconds(60),
          () -> portsSeen(line).equals("[8080,8081]"), procs());
      assertThat(Smoke.status("http://" + line.address() + ":" + STOPPED_PORT + "/peer")).as("nothing listens there").isEqualTo(-1);
    }
  }

  /**
   * The mesh's response headers reach Tomcat's response at its commit (coyote {@code Response.commit()}):
   * a call the caller's mesh retried to exhaustion (Istio's default retries on 503,
   * https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry) marks the
   * caller's own answer {@code x-inmesh-retries: exhausted}, so no mesh above retries it again.
   */
  @Test
  @Order(5)
  void aRequestWhoseCallExhaustedItsRetriesIsMarkedAtTomcatsCommit() {
    for (Line caller : LINES) {
      String url = "http://" + other(caller).service() + ":" + STRICT_PORT + "/status/503";
      HttpResponse<String> r = get(caller, PLAIN_PORT, "/call?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8), null);
      assertThat(r.body()).as(caller.service()).startsWith("status=503\n");
      assertThat(r.headers().firstValue("x-inmesh-retries")).as(caller.service() + "'s answer, made by " + caller.version() + "x").contains("exhausted");
      HttpResponse<String> plain = get(caller, PLAIN_PORT, "/status/503", null);
      assertThat(plain.statusCode()).isEqualTo(503);
      assertThat(plain.headers().firstValue("x-inmesh-retries")).as("a 503 the application made itself is not marked").isEmpty();
    }
  }

  static HttpResponse<String> get(Line line, int port, String path, String xfcc) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + line.address() + ":" + port + path)).timeout(Duration.ofSeconds(10));
    if (xfcc != null) {
      b.header("X-Forwarded-Client-Cert", xfcc);
    }
    return Smoke.send(b.build());
  }

  /** {@code from}'s JDK HttpClient calls {@code url} (asked on its PERMISSIVE port); the answer as key → value. */
  static Map<String, String> call(Line from, String url) {
    Map<String, String> m = fields(Smoke.get("http://" + from.address() + ":" + PLAIN_PORT + "/call?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8)));
    return m;
  }

  static Map<String, String> fields(String text) {
    Map<String, String> m = new HashMap<>();
    for (String l : text.split("\n")) {
      int eq = l.indexOf('=');
      if (eq > 0) {
        m.putIfAbsent(l.substring(0, eq), l.substring(eq + 1));
      }
    }
    m.put("raw", text);
    return m;
  }

  /** A raw HTTP/1.1 GET /peer over plain TCP from this JVM; what came back (empty when the connection was closed or reset). */
  static String plainRequest(Line line, int port, String extraHeaders) {
    return Smoke.rawGet(line.address(), port, line.service(), "/peer", extraHeaders);
  }

  @AfterAll
  void stopAll() {
    fleet.stop();
  }
}
