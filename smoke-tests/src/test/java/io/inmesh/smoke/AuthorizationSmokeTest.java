package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshedTraced;
import static io.inmesh.smoke.Smoke.plainApp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 12: AuthorizationPolicy enforced in the inbound stage of every server adapter, before the
 * application's handler, with the audit trail. Two usuario-service workloads, one on the JDK
 * HttpServer and one on Tomcat (the Spring Boot example), each with its own audit file; requests
 * come from raw sockets bound to chosen loopback source addresses, so {@code ipBlocks} tell callers
 * apart. None of these callers presents a certificate (plain text), so principal-based rules (the
 * seed's own policy) never match them: principals come only from a verified peer certificate, and
 * the mTLS work hands them over.
 *
 * <p>Istio pages followed: the AuthorizationPolicy reference (CUSTOM, DENY, ALLOW order; AUDIT),
 * "Authorization Policy Normalization" (paths), and Istio's 403 {@code RBAC: access denied}.
 *
 * <p>Part of the traced profile's subset (issue 13: "a representative subset runs in the other
 * profile"): its workloads run with INMESH_PROFILE=traced, the embedded OpenTelemetry agent hosting
 * inmesh; the rest of the suite runs in the default profile, mesh.
 */
@Shows(feature = "inbound", value = {"jdk-server", "tomcat"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class AuthorizationSmokeTest {
  static final String CP = "127.0.13.9:15010";
  static final String JDK = "127.0.13.21";
  static final String TOMCAT = "127.0.13.22";
  /** A caller the ALLOW-by-ipBlocks policy lets in. */
  static final String TRUSTED = "127.0.13.50";
  /** A caller no policy allows. */
  static final String STRANGER = "127.0.13.60";
  static final ObjectMapper JSON = new ObjectMapper();

  /** The seed's usuario-service-policy, verbatim, plus an ALLOW by source address, a DENY and an AUDIT. */
  static final String POLICIES =
      """
      apiVersion: security.istio.io/v1beta1
      kind: AuthorizationPolicy
      metadata:
        name: usuario-service-policy
      spec:
        selector:
          matchLabels:
            app: usuario-service
        rules:
        - from:
          - source:
              principals:
              - "cluster.local/ns/default/sa/pedido-service"
              - "cluster.local/ns/default/sa/inventario-service"
          to:
          - operation:
              methods: ["GET", "POST"]
              paths: ["/usuarios/*"]
        - from:
          - source:
              principals: ["cluster.local/ns/default/sa/api-gateway"]
          to:
          - operation:
              methods: ["GET", "POST", "PUT", "DELETE"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: trusted-host
      spec:
        selector:
          matchLabels:
            app: usuario-service
        rules:
        - from:
          - source:
              ipBlocks: ["127.0.13.50/32"]
          to:
          - operation:
              methods: ["GET", "POST"]
              paths: ["/usuarios/*"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: no-admin
      spec:
        action: DENY
        rules:
        - to:
          - operation:
              paths: ["/usuarios/admin", "/usuarios/admin/*"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: audit-writes
      spec:
        action: AUDIT
        rules:
        - to:
          - operation:
              methods: ["POST"]
      """;

  final Path tmp = Smoke.workDir("AuthorizationSmokeTest");
  final List<Proc> procs = new ArrayList<>();
  Path auditJdk;
  Path auditTomcat;
  Path policies;

  @BeforeAll
  void startMesh() throws Exception {
    policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("authorization");
    Smoke.write(policies.resolve("authz.yaml"), POLICIES);
    procs.add(Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("data"), logs, "1s", "60s"));
    auditJdk = tmp.resolve("audit-jdk.log");
    auditTomcat = tmp.resolve("audit-tomcat.log");

    Map<String, String> e1 = inmeshEnv("usuario-service", "app=usuario-service,version=v1", JDK, "http://" + CP, tmp.resolve("cache-jdk"));
    e1.put("INMESH_AUDIT_LOG", auditJdk.toString());
    Proc jdk = meshedTraced("usuario-jdk", e1, logs, plainApp("PlainUsuarioApp", JDK, "8080"));
    Map<String, String> e2 = inmeshEnv("usuario-service", "app=usuario-service,version=v2", TOMCAT, "http://" + CP, tmp.resolve("cache-tomcat"));
    e2.put("INMESH_AUDIT_LOG", auditTomcat.toString());
    e2.put("USUARIO_VERSION", "v2");
    String usuarioJar = Smoke.ROOT.resolve("examples/usuario-service/target/usuario-service.jar").toString();
    Proc tomcat = meshedTraced("usuario-tomcat", e2, logs, List.of("-jar", usuarioJar, "--server.address=" + TOMCAT, "--server.port=8080"));
    procs.add(jdk);
    procs.add(tomcat);
    for (Proc p : List.of(jdk, tomcat)) {
      String address = p == jdk ? JDK : TOMCAT;
      awaitTrue(p.name() + " ready", Duration.ofSeconds(300), () -> Smoke.status("http://" + address + ":15020/healthz/ready") == 200, p);
      // the snapshot holding the policies is in force once a stranger is refused
      awaitTrue(p.name() + " enforcing", Duration.ofSeconds(300), () -> {
        Answer a = request(STRANGER, address, "GET", "/usuarios/1", Map.of());
        return a != null && a.status == 403;
      }, p);
    }
  }

  /** The audit lines written so far, once the writer has caught up with the probes above. */
  static int settledLineCount(Path file) throws Exception {
    int before = -1;
    int now = auditLines(file, 0).size();
    while (now != before) {
      Thread.sleep(1500); // the writer drains its queue within a second of a line being queued
      before = now;
      now = auditLines(file, 0).size();
    }
    return now;
  }

  record Answer(int status, String body) {}

  /** One HTTP/1.1 request over a socket bound to {@code from}; null while the server is not up. */
  static Answer request(String from, String to, String method, String path, Map<String, String> headers) {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress(to, 8080), 5000);
      s.setSoTimeout(20_000);
      StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: usuario-service\r\nConnection: close\r\n");
      headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
      req.append(method.equals("POST") ? "Content-Length: 2\r\nContent-Type: application/json\r\n\r\n{}" : "\r\n");
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(response.substring(9, 12));
      int bodyAt = response.indexOf("\r\n\r\n");
      return new Answer(status, bodyAt < 0 ? "" : response.substring(bodyAt + 4));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static List<JsonNode> auditLines(Path file, int atLeast) {
    List<JsonNode> lines = new ArrayList<>();
    awaitTrue("audit lines in " + file, Duration.ofSeconds(30), () -> {
      lines.clear();
      try {
        if (Files.exists(file)) {
          for (String l : Files.readAllLines(file)) {
            lines.add(JSON.readTree(l));
          }
        }
      } catch (IOException e) {
        return false;
      }
      return lines.size() >= atLeast;
    });
    return lines;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jdk-httpserver", "tomcat"})
  void policiesAreEnforcedBeforeTheApplicationAndEveryDenialOrAuditLeavesOneLine(String server) throws Exception {
    String to = server.equals("tomcat") ? TOMCAT : JDK;
    Path audit = server.equals("tomcat") ? auditTomcat : auditJdk;
    int already = settledLineCount(audit); // the start-up probes were denied and audited

    // ALLOW by source address: the trusted caller gets the application's answer
    Answer ok = request(TRUSTED, to, "GET", "/usuarios/1", Map.of());
    assertThat(ok.status).as(server + " " + ok).isEqualTo(200);
    assertThat(ok.body).contains("\"version\"");

    // no ALLOW policy matches a stranger: 403 RBAC: access denied, the application never sees it
    Answer stranger = request(STRANGER, to, "GET", "/usuarios/1", Map.of());
    assertThat(stranger.status).as(server).isEqualTo(403);
    assertThat(stranger.body).isEqualTo("RBAC: access denied");

    // a forged identity header changes nothing: principals come from the verified certificate only
    Answer forged = request(STRANGER, to, "GET", "/usuarios/1",
        Map.of("X-Forwarded-Client-Cert", "By=spiffe://cluster.local/ns/default/sa/usuario-service;Hash=00;Subject=\"\";URI=spiffe://cluster.local/ns/default/sa/pedido-service"));
    assertThat(forged.status).as(server + " forged XFCC").isEqualTo(403);

    // DENY beats ALLOW (the trusted caller is allowed /usuarios/* but /usuarios/admin is denied)
    int denials = 2;
    assertThat(request(TRUSTED, to, "GET", "/usuarios/admin", Map.of()).status).as(server).isEqualTo(403);
    denials++;
    // path-normalisation attacks never reach the application: inmesh denies them (Tomcat itself
    // refuses an encoded slash with 400 before any valve runs, which is no less a refusal)
    for (String attack : List.of("/usuarios/x/../admin", "/usuarios/admin%2Fsecret", "/usuarios//admin", "/usuarios/%61dmin")) {
      int status = request(TRUSTED, to, "GET", attack, Map.of()).status;
      assertThat(status).as(server + " " + attack).isIn(403, 400);
      if (status == 403) {
        denials++;
      } else {
        assertThat(server).as("only Tomcat refuses on its own").isEqualTo("tomcat");
      }
    }

    // AUDIT marks without deciding: the POST goes through (the application answers it)
    Answer post = request(TRUSTED, to, "POST", "/usuarios/1", Map.of());
    assertThat(post.status).as(server + " audited POST " + post).isNotEqualTo(403);

    // exactly one line per denied or audited request
    int expected = already + denials + 1;
    auditLines(audit, expected);
    List<JsonNode> all = auditLines(audit, expected + 0);
    Thread.sleep(1500);
    all = auditLines(audit, expected);
    assertThat(all).as(server + " " + all).hasSize(expected);
    List<JsonNode> lines = all.subList(already, all.size());
    for (JsonNode l : lines) {
      for (String field : List.of("time", "decision", "sourceIp", "destination", "method", "path", "reason")) {
        assertThat(l.hasNonNull(field)).as(field + " in " + l).isTrue();
      }
      assertThat(l.has("sourcePrincipal")).isTrue();
      assertThat(l.get("destination").asText()).isEqualTo("default/usuario-service");
    }
    JsonNode denyLine = lines.stream().filter(l -> l.get("path").asText().equals("/usuarios/admin")).findFirst().orElseThrow();
    assertThat(denyLine.get("decision").asText()).isEqualTo("deny");
    assertThat(denyLine.get("policy").asText()).isEqualTo("default/no-admin");
    assertThat(denyLine.get("rule").asInt()).isZero();
    assertThat(denyLine.get("sourceIp").asText()).isEqualTo(TRUSTED);
    JsonNode auditLine = lines.stream().filter(l -> l.get("method").asText().equals("POST")).findFirst().orElseThrow();
    assertThat(auditLine.get("decision").asText()).isEqualTo("allow");
    assertThat(auditLine.get("audit").asBoolean()).isTrue();
    assertThat(auditLine.get("auditPolicy").asText()).isEqualTo("default/audit-writes[0]");
    assertThat(auditLine.get("policy").asText()).isEqualTo("default/trusted-host");
    JsonNode strangerLine = lines.stream().filter(l -> l.get("sourceIp").asText().equals(STRANGER)).findFirst().orElseThrow();
    assertThat(strangerLine.get("reason").asText()).isEqualTo("no ALLOW policy matched");
    assertThat(strangerLine.get("sourcePrincipal").isNull()).as("plain text has no principal, whatever its headers say").isTrue();
  }

  /**
   * Issue 12, part 3: {@code inmesh authz check} agrees with the agent. Each case is sent to the
   * JDK-HttpServer workload and asked of the tool; both must say the same.
   */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.CsvSource({
    "trusted GET /usuarios/1, 127.0.13.50, GET, /usuarios/1",
    "stranger GET /usuarios/1, 127.0.13.60, GET, /usuarios/1",
    "trusted GET /usuarios/admin, 127.0.13.50, GET, /usuarios/admin",
    "trusted GET /usuarios/x/../admin, 127.0.13.50, GET, /usuarios/x/../admin",
    "trusted DELETE /usuarios/1, 127.0.13.50, DELETE, /usuarios/1",
    "trusted POST /usuarios/1, 127.0.13.50, POST, /usuarios/1",
  })
  void authzCheckAgreesWithTheAgent(String name, String from, String method, String path) throws Exception {
    Answer agent = request(from, JDK, method, path, Map.of());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-jar", Smoke.CONTROL.toString(), "authz", "check", "--policy-dir", policies.toString(),
            "--from", "none", "--to", "usuario-service", "--label", "version=v1", "--source-ip", from, "--method", method, "--path", path)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String tool = out.lines().findFirst().orElse("");
    assertThat(tool).as(name + ": the tool said\n" + out + "the agent answered " + agent).isEqualTo(agent.status == 403 ? "deny" : "allow");
  }

  @AfterAll
  void stopAll() {
    Proc.stopAll(procs);
  }
}
