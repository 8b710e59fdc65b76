package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14 item 3: the seed's header canary on both Spring Boot lines, through every client a Spring
 * user picks. Istio's "Request Routing" task (https://istio.io/latest/docs/tasks/traffic-management/request-routing/,
 * "Route based on user identity": a header match to one subset, the rest to another) with the seed's
 * VirtualService (x-canary: true → v2, else v1) and DestinationRule subsets.
 *
 * <p>One fleet for every test: a control plane, two usuario-service endpoints per subset, mixing Boot
 * lines and servers — v1: Boot 3.5 on Tomcat 10.1 (examples/usuario-service) and Boot 4 on Jetty 12.1; v2:
 * Boot 4 on Tomcat 11 and Boot 4 WebFlux on Reactor Netty 1.3 (examples/usuario-service-boot4, one jar,
 * {@code usuario.server}) — and one pedido-service per Boot line (examples/pedido-service, Spring Framework
 * 6.2 and Spring Cloud 2025.0; examples/pedido-service-boot4, Spring Framework 7 and Spring Cloud 2025.1, the
 * same sources). Each pedido calls {@code http://usuario-service} by name; the mesh alone knows that name.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 720, unit = TimeUnit.SECONDS) // bounds for a loaded 2-core machine (six Boot JVMs start at once; 2.5-minute Boot start-ups seen at load 40)
class SpringBootLinesSmokeTest {
  static final String CP = "127.0.38.10:15010";
  static final String CONTROL_URL = "http://" + CP;
  static final int CALLS = 100; // per header value per client per Boot line, as issue 14 asks ("100 calls per header value")

  /** The usuario endpoints: address → subset and the server that answers there. */
  static final Map<String, String[]> USUARIOS = new LinkedHashMap<>();

  static {
    USUARIOS.put("127.0.38.11", new String[] {"v1", "boot3", "tomcat", "Apache Tomcat/10.1."});
    USUARIOS.put("127.0.38.12", new String[] {"v1", "boot4", "jetty", "jetty/12.1."});
    USUARIOS.put("127.0.38.13", new String[] {"v2", "boot4", "tomcat", "Apache Tomcat/11.0."});
    USUARIOS.put("127.0.38.14", new String[] {"v2", "boot4", "netty", "Reactor Netty"});
  }

  /** pedido-service per Boot line. */
  static final Map<String, String> PEDIDOS = new LinkedHashMap<>(Map.of("boot3", "127.0.38.21", "boot4", "127.0.38.22"));

  static final String JAVA_URL_CONNECTION = "Java/";
  static final String JDK_CLIENT = "Java-http-client/";
  static final String APACHE = "Apache-HttpClient/5.";
  static final String APACHE_ASYNC = "Apache-HttpAsyncClient/5.";
  static final String REACTOR = "ReactorNetty/";
  static final String JETTY = "Jetty/12.";

  /**
   * Every client pedido-service offers, with the User-Agent its library sends (so the answer shows which
   * library really made the call): RestTemplate and RestClient over each of Spring's request factories,
   * Boot's auto-configured RestClient.Builder (pinned to the JDK client by spring.http.client.factory, Boot 4:
   * spring.http.clients.imperative.factory), WebClient on Boot's builder (Reactor Netty) and over each of Spring's
   * reactive connectors (Reactor Netty, Jetty, Apache's async client, the JDK client), Spring Cloud LoadBalancer's
   * {@code @LoadBalanced} RestTemplate (the seed's bean), WebClient.Builder and RestClient.Builder, and the JDK
   * HttpClient.
   */
  static final Map<String, String> CLIENTS = new LinkedHashMap<>();

  static {
    CLIENTS.put("rest-template", JAVA_URL_CONNECTION);
    CLIENTS.put("rest-template-simple", JAVA_URL_CONNECTION);
    CLIENTS.put("rest-template-jdk", JDK_CLIENT);
    CLIENTS.put("rest-template-http-components", APACHE);
    CLIENTS.put("rest-template-reactor", REACTOR);
    CLIENTS.put("rest-template-jetty", JETTY);
    CLIENTS.put("rest-client-simple", JAVA_URL_CONNECTION);
    CLIENTS.put("rest-client-jdk", JDK_CLIENT);
    CLIENTS.put("rest-client-http-components", APACHE);
    CLIENTS.put("rest-client-reactor", REACTOR);
    CLIENTS.put("rest-client-jetty", JETTY);
    CLIENTS.put("rest-client", JDK_CLIENT);
    CLIENTS.put("web-client", REACTOR);
    CLIENTS.put("web-client-reactor", REACTOR);
    CLIENTS.put("web-client-jetty", JETTY);
    CLIENTS.put("web-client-http-components", APACHE_ASYNC);
    CLIENTS.put("web-client-jdk", JDK_CLIENT);
    CLIENTS.put("lb-rest-template", JAVA_URL_CONNECTION);
    CLIENTS.put("lb-web-client", REACTOR);
    CLIENTS.put("lb-rest-client", APACHE); // RestClient's own factory choice: Apache HttpClient 5 is on the class path
    CLIENTS.put("http-client", JDK_CLIENT);
    CLIENTS.put("http-client-async", JDK_CLIENT);
  }

  /**
   * A JVM flag, not a change to the applications: six Boot JVMs start at once on two cores, where C2's
   * compiler threads would take the CPU the start-ups need; the few thousand calls run well on C1's code.
   */
  static final String QUICK_START = "-XX:TieredStopAtLevel=1";

  final Path tmp = Smoke.workDir("SpringBootLinesSmokeTest");
  Proc controlPlane;
  final List<Proc> apps = new ArrayList<>();

  @BeforeAll
  void startMesh() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Path logs = Smoke.LOGS.resolve("spring-boot-lines");
    Smoke.write(policies.resolve("canary.yaml"), Policies.SEED_CANARY);
    Smoke.write(policies.resolve("subsets.yaml"), Policies.SUBSETS);
    // a long registry expiry: a heartbeat late on a busy machine never takes an endpoint away mid-count
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("data"), logs, "120s");
    Map<String, String> jars = Map.of(
        "usuario-boot3", "examples/usuario-service/target/usuario-service.jar",
        "usuario-boot4", "examples/usuario-service-boot4/target/usuario-service-boot4.jar",
        "pedido-boot3", "examples/pedido-service/target/pedido-service.jar",
        "pedido-boot4", "examples/pedido-service-boot4/target/pedido-service-boot4.jar");
    for (Map.Entry<String, String[]> u : USUARIOS.entrySet()) {
      String address = u.getKey();
      String[] what = u.getValue();
      Map<String, String> env = inmeshEnv("usuario-service", "app=usuario-service,version=" + what[0], address, CONTROL_URL, tmp.resolve("cache-usuario"));
      env.put("USUARIO_VERSION", what[0]);
      List<String> cmd = new ArrayList<>(List.of(QUICK_START, "-jar", Smoke.ROOT.resolve(jars.get("usuario-" + what[1])).toString(),
          "--server.address=" + address, "--server.port=8080"));
      if (what[1].equals("boot4")) {
        cmd.add("--usuario.server=" + what[2]);
      }
      apps.add(meshed("usuario-" + what[0] + "-" + what[1] + "-" + what[2], env, logs, cmd));
    }
    for (Map.Entry<String, String> p : PEDIDOS.entrySet()) {
      String address = p.getValue();
      apps.add(meshed("pedido-" + p.getKey(), inmeshEnv("pedido-service", "app=pedido-service", address, CONTROL_URL, tmp.resolve("cache-pedido")), logs,
          List.of(QUICK_START, "-jar", Smoke.ROOT.resolve(jars.get("pedido-" + p.getKey())).toString(), "--server.address=" + address, "--server.port=8080")));
    }
    List<String> addresses = new ArrayList<>(USUARIOS.keySet());
    addresses.addAll(PEDIDOS.values());
    for (int i = 0; i < apps.size(); i++) {
      awaitReady(apps.get(i), addresses.get(i), Duration.ofSeconds(300));
    }
    awaitTrue(
        "every Boot app's server registered",
        Duration.ofSeconds(300),
        () -> {
          String eps = Smoke.get("http://" + CP + "/v1/endpoints");
          return addresses.stream().allMatch(a -> eps.contains(a + ":8080") || eps.contains("\"" + a + "\""));
        },
        apps.toArray(new Proc[0]));
    for (String pedido : PEDIDOS.values()) {
      awaitTrue(
          pedido + "'s snapshot to hold every usuario endpoint",
          Duration.ofSeconds(60),
          () -> {
            String dump = Smoke.get("http://" + pedido + ":15000/config_dump");
            return USUARIOS.keySet().stream().allMatch(dump::contains);
          },
          apps.toArray(new Proc[0]));
    }
  }

  @AfterAll
  void stopMesh() {
    Proc.stopAll(apps);
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  static JsonNode pedido(String pedidoAddress, String client, boolean canary) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://" + pedidoAddress + ":8080/pedidos/7?client=" + client)).timeout(Duration.ofSeconds(30));
    if (canary) {
      b.header("x-canary", "true");
    }
    HttpResponse<String> r = Smoke.send(b.build());
    assertThat(r.statusCode()).as(pedidoAddress + " " + client + ": " + r.body()).isEqualTo(200);
    try {
      return Smoke.JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError(r.body(), e);
    }
  }

  /** The mesh decisions (routed calls) a pedido's agent has taken, from its admin port. */
  static long routed(String pedidoAddress) {
    JsonNode routed = Smoke.getJson("http://" + pedidoAddress + ":15000/stats").findValue("routed");
    assertThat(routed).as("routed in " + pedidoAddress + "'s /stats").isNotNull();
    return routed.asLong();
  }

  /**
   * Each server of both Boot lines registers its listener with the mesh (Tomcat 10.1 and 11, Jetty 12.1,
   * Reactor Netty 1.3 under WebFlux; the pedidos' Tomcats too), answers the usuario API with the version of
   * its subset, and runs the inbound stage before the application (Istio's sidecar drops a client's own
   * X-Forwarded-Client-Cert the same way: https://istio.io/latest/docs/ops/configuration/traffic-management/network-topologies/).
   */
  @Shows(feature = "boot", value = {"tomcat", "jetty-server", "rn-server"})
  @Test
  void everyServerOfBothBootLinesRegistersAndAnswers() {
    String endpoints = Smoke.get("http://" + CP + "/v1/endpoints");
    for (Map.Entry<String, String[]> u : USUARIOS.entrySet()) {
      assertThat(endpoints).contains(u.getKey());
      JsonNode usuario = Smoke.getJson("http://" + u.getKey() + ":8080/usuarios/3");
      assertThat(usuario.path("version").asText()).as(u.getKey()).isEqualTo(u.getValue()[0]);
      assertThat(usuario.path("server").asText()).as(u.getKey()).startsWith(u.getValue()[3]);
      assertThat(usuario.path("instance").asText()).isEqualTo(u.getKey() + ":8080");
      // the inbound stage runs before the application on each of them: a client's own X-Forwarded-Client-Cert
      // never reaches it (only the mesh sets it, from a verified mTLS peer)
      HttpResponse<String> peer = Smoke.send(HttpRequest.newBuilder(URI.create("http://" + u.getKey() + ":8080/peer"))
          .header("X-Forwarded-Client-Cert", "By=spiffe://cluster.local/ns/default/sa/forged").timeout(Duration.ofSeconds(30)).build());
      assertThat(peer.statusCode()).as(u.getKey() + " /peer").isEqualTo(200);
      assertThat(peer.body()).as(u.getKey() + " /peer").contains("xfcc=\n").contains("listener=" + u.getKey() + ":8080").doesNotContain("forged");
    }
    assertThat(endpoints).contains("127.0.38.21").contains("127.0.38.22").doesNotContain("15000").doesNotContain("15020");
  }

  /**
   * Issue 14, "Done when": with two endpoints per subset every client routes the seed's canary exactly, on
   * both Boot lines: {@value #CALLS} calls per header value per client, x-canary: true only on v2's two
   * endpoints (both used), the rest only on v1's two; the call made by the library the client names (its
   * User-Agent); and exactly one mesh decision per call (pedido's routed counter), also where clients are
   * layered (RestTemplate/RestClient over Reactor Netty, Jetty or Apache; Spring Cloud LoadBalancer over
   * HttpURLConnection or WebClient).
   */
  @Shows(feature = "boot", value = {"jdk", "huc", "apache5", "apache5-async", "reactor-netty", "webclient", "jetty-client", "spring-cloud-lb"})
  @Test
  void everyClientOnBothBootLinesRoutesTheSeedCanaryToBothEndpointsOfItsSubset() {
    // the two Boot lines at once (each its own pedido, counters and calls; the usuarios are shared)
    Smoke.eachAtOnce(new ArrayList<>(PEDIDOS.keySet()), Duration.ofSeconds(300), this::everyClientRoutesTheSeedCanary);
  }

  void everyClientRoutesTheSeedCanary(String line) {
    String pedido = PEDIDOS.get(line);
    List<String> failures = new ArrayList<>();
    for (Map.Entry<String, String> c : CLIENTS.entrySet()) {
      String client = c.getKey();
      String what = line + " " + client;
      long before = routed(pedido);
      Map<Boolean, Map<String, Integer>> seen = new TreeMap<>();
      Set<String> agents = new TreeSet<>();
      for (boolean canary : List.of(true, false)) {
        Map<String, Integer> instances = seen.computeIfAbsent(canary, k -> new TreeMap<>());
        for (int i = 0; i < CALLS; i++) {
          JsonNode usuario = pedido(pedido, client, canary).path("usuario");
          String instance = usuario.path("instance").asText();
          instances.merge(instance, 1, Integer::sum);
          agents.add(usuario.path("userAgent").asText());
          String subset = usuario.path("version").asText();
          assertThat(subset).as(what + (canary ? " canary" : " plain") + " #" + i + " on " + instance).isEqualTo(canary ? "v2" : "v1");
        }
      }
      assertThat(seen.get(true).keySet()).as(what + ": x-canary: true on both of v2's endpoints").containsExactlyInAnyOrder("127.0.38.13:8080", "127.0.38.14:8080");
      assertThat(seen.get(false).keySet()).as(what + ": the rest on both of v1's endpoints").containsExactlyInAnyOrder("127.0.38.11:8080", "127.0.38.12:8080");
      assertThat(agents).as(what + ": made by its own library").allMatch(a -> a.startsWith(c.getValue()));
      long decisions = routed(pedido) - before;
      if (decisions != 2L * CALLS) {
        failures.add(what + ": " + decisions + " mesh decisions for " + 2 * CALLS + " calls");
      }
    }
    assertThat(failures).as(line + ": one mesh decision per call").isEmpty();
  }
}
