package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitReady;
import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;
import static io.inmesh.smoke.TaskBackends.enc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * The client × server matrix (issue 14 item 5): every meshed client calling every meshed server
 * library, one cell each, and the README's matrix generated from this run.
 *
 * <p>A cell is the seed's header canary, as Istio's request-routing task routes by header
 * (https://istio.io/latest/docs/tasks/traffic-management/request-routing/, "Route based on user
 * identity"): the seed's VirtualService ({@link Policies#SEED_CANARY}: {@code x-canary: true} to
 * subset v2, everything else to v1) over a DestinationRule with the subsets by {@code version}
 * label. {@value #N} calls per header value ({@code x-canary: true}, none, {@code x-canary: false})
 * through that client to that server library land only on the right subset and on both of its
 * endpoints, every one answered 200.
 *
 * <p>One mesh service ({@code usuario-service}, the seed's policies verbatim) with two workloads per
 * subset; a workload registers one address (its pod's, as in Kubernetes) with every port its
 * listeners bound, so each server library serves on a port of its own in every workload, and a
 * cell calls {@code http://usuario-service:<that port>/usuarios/1}: an explicit port goes to the
 * endpoints that registered it (Kubernetes Service port semantics), so a cell passes only if that
 * library registered its listener in all four workloads. Four workloads run the JDK
 * {@code HttpServer}, Tomcat 11, Jetty 12, Undertow 2.3 and Reactor Netty 1.2 side by side
 * (apps/matrix/MatrixServersApp starting the servers' own smoke applications, unchanged), four
 * more Tomcat 9 (whose classes have Tomcat 11's names). The clients live in one caller JVM
 * (apps/matrix/MatrixCallerApp over the other callers' client code) with OkHttp 4.12, and a
 * second one with OkHttp 5 (both OkHttp lines use the {@code okhttp3} packages). Eleven JVMs in all,
 * with the control plane.
 *
 * <p>The run writes the table to {@code smoke-tests/target/matrix.md}; the README holds it between
 * {@code <!-- matrix:begin -->} and {@code <!-- matrix:end -->}, and {@link #readmeMatrixIsThisRunsMatrix}
 * fails when the two differ. A failing cell fails {@link #everyClientToEveryServer_seedCanary} unless
 * the README's matrix shows that cell with the same ❌ (a documented limitation, committed on purpose).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClientServerMatrixSmokeTest {
  static final Duration STARTUP = Duration.ofSeconds(300);
  static final int N = 20;
  static final String CP = "127.0.39.1:15010";
  static final String CALLER = "127.0.39.2";
  static final String CALLER_OKHTTP5 = "127.0.39.3";
  static final String BEGIN = "<!-- matrix:begin -->";
  static final String END = "<!-- matrix:end -->";
  /** {@code -Dinmesh.matrix.update=true}: write this run's matrix into the README (then review and commit it). */
  static final boolean UPDATE_README = Boolean.getBoolean("inmesh.matrix.update");

  /** A client: its name at the caller, its row label, which caller JVM holds it, and its row of the support table. */
  record Client(String name, String label, String caller, String library) {
    /** A client whose support-table row has its name. */
    Client(String name, String label, String caller) {
      this(name, label, caller, name);
    }
  }

  static final List<Client> CLIENTS = List.of(
      new Client("jdk", "JDK `HttpClient` (default: HTTP/2 preferred)", CALLER),
      new Client("jdk-http1", "JDK `HttpClient` (HTTP/1.1)", CALLER, "jdk"),
      new Client("huc", "`HttpURLConnection`", CALLER),
      new Client("okhttp4", "OkHttp 4.12", CALLER),
      new Client("okhttp5", "OkHttp 5", CALLER_OKHTTP5),
      new Client("apache5", "Apache HttpClient 5 classic", CALLER),
      new Client("apache5-async", "Apache HttpClient 5 async", CALLER),
      new Client("apache4", "Apache HttpClient 4.5", CALLER),
      new Client("reactor-netty", "Reactor Netty `HttpClient`", CALLER),
      new Client("webclient", "Spring `WebClient` (Reactor Netty)", CALLER),
      new Client("jetty", "Jetty `HttpClient` 12", CALLER, "jetty-client"),
      new Client("feign", "OpenFeign (default client)", CALLER),
      new Client("feign-okhttp", "OpenFeign (`feign-okhttp`)", CALLER, "feign"));

  /** A server library: its column label, the port it serves on, the workloads that run it (v1, v1, v2, v2), what its output says once it listens on the library it should. */
  record Server(String label, int port, List<String> addresses, String runs, String library) {
    List<String> subset(String version) {
      return version.equals("v1") ? addresses.subList(0, 2) : addresses.subList(2, 4);
    }
  }

  /** Workloads running the JDK HttpServer, Tomcat 11, Jetty 12, Undertow 2.3 and Reactor Netty 1.2, each on its port. */
  static final List<String> MOST = List.of("127.0.39.11", "127.0.39.12", "127.0.39.13", "127.0.39.14");
  /** Workloads running Tomcat 9: its classes have Tomcat 11's names, so a class path holds one line. */
  static final List<String> TOMCAT9 = List.of("127.0.39.21", "127.0.39.22", "127.0.39.23", "127.0.39.24");

  static final List<Server> SERVERS = List.of(
      new Server("JDK `HttpServer`", 8081, MOST, "task backend", "jdk-server"),
      new Server("Tomcat 11", 8082, MOST, "tomcat 11.0.", "tomcat"),
      new Server("Tomcat 9", 8083, TOMCAT9, "tomcat 9.0.", "tomcat9"),
      new Server("Jetty 12", 8084, MOST, "jetty server listening", "jetty-server"),
      new Server("Undertow 2.3", 8085, MOST, "undertow server listening", "undertow"),
      new Server("Reactor Netty `HttpServer`", 8086, MOST, "reactor netty server 1.2.", "rn-server"));

  static final String SERVICE = "usuario-service";

  /** A workload's command: the servers of its set, each on its port, with their libraries on the class path. */
  static List<String> serversCommand(String address) {
    StringBuilder cp = new StringBuilder(Smoke.APPS.toString());
    List<String> cmd = new ArrayList<>();
    if (TOMCAT9.contains(address)) {
      cp.append(File.pathSeparator).append(TomcatLinesMeshSmokeTest.classPath(TomcatLinesMeshSmokeTest.TOMCAT9));
      cmd.add("tomcat=8083");
    } else {
      cp.append(File.pathSeparator).append(TomcatLinesMeshSmokeTest.classPath(TomcatLinesMeshSmokeTest.TOMCAT11));
      for (String dir : List.of("jetty12", "undertow")) {
        try (var jars = Files.list(Smoke.ROOT.resolve("smoke-tests/target/" + dir))) {
          jars.filter(j -> j.toString().endsWith(".jar")).sorted().forEach(j -> cp.append(File.pathSeparator).append(j));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      ReactorNettyServerMeshSmokeTest.reactorNetty12().forEach(j -> cp.append(File.pathSeparator).append(j));
      cmd.addAll(List.of("jdk=8081", "tomcat=8082", "jetty=8084", "undertow=8085", "reactor-netty=8086"));
    }
    List<String> all = new ArrayList<>(List.of("-Dsun.net.httpserver.nodelay=true", "-cp", cp.toString(), "io.inmesh.smoke.apps.matrix.MatrixServersApp", address));
    all.addAll(cmd);
    return all;
  }

  final Path tmp = Smoke.workDir("ClientServerMatrixSmokeTest");
  final Path logs = Smoke.LOGS.resolve("matrix");
  /** The server workloads by address. */
  final Map<String, Proc> servers = new LinkedHashMap<>();
  Proc controlPlane;
  Proc caller;
  Proc callerOkHttp5;
  /** "client|server" → "" (passed) or what failed; filled by the first test. */
  final Map<String, String> cells = new ConcurrentHashMap<>();
  String table;

  @BeforeAll
  void startMesh() throws Exception {
    long started = System.nanoTime();
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Smoke.write(policies.resolve("subsets.yaml"), Policies.SUBSETS);
    Smoke.write(policies.resolve("routing.yaml"), Policies.SEED_CANARY);
    // a long registry expiry: a heartbeat late on a busy machine never takes an endpoint away mid-count
    controlPlane = Smoke.controlPlane("control-plane", CP, policies, tmp.resolve("control-data"), logs, "60s");
    String control = "http://" + CP;
    List<String> workloads = new ArrayList<>(MOST);
    workloads.addAll(TOMCAT9);
    for (String address : workloads) {
      String version = MOST.indexOf(address) >= 2 || TOMCAT9.indexOf(address) >= 2 ? "v2" : "v1";
      Map<String, String> env = inmeshEnv(SERVICE, "app=" + SERVICE + ",version=" + version, address, control, tmp.resolve("cache-usuario"));
      env.put("APP_VERSION", version);
      servers.put(address, meshed("usuario-" + address, env, logs, c1(serversCommand(address))));
    }
    caller = meshed("caller", inmeshEnv("pedido-service", "app=pedido-service", CALLER, control, tmp.resolve("cache-pedido")), logs, c1(callerCommand(4, CALLER)));
    callerOkHttp5 = meshed("caller-okhttp5", inmeshEnv("pedido-service", "app=pedido-service", CALLER_OKHTTP5, control, tmp.resolve("cache-pedido")), logs,
        c1(callerCommand(5, CALLER_OKHTTP5)));
    for (Proc p : List.of(caller, callerOkHttp5)) {
      awaitReady(p, p == caller ? CALLER : CALLER_OKHTTP5, STARTUP);
      awaitTrue(p.name() + " listening", STARTUP, () -> p.output().contains("listening on"), p);
    }
    for (Server s : SERVERS) {
      for (String address : s.addresses()) {
        Proc p = servers.get(address);
        awaitTrue(p.name() + " listening on " + s.runs(), STARTUP, () -> p.output().contains(s.runs()), p);
      }
    }
    // every library registered its port: the callers see each workload with it
    for (String c : List.of(CALLER, CALLER_OKHTTP5)) {
      for (Server s : SERVERS) {
        awaitTrue(c + "'s snapshot to hold the four " + s.label() + " endpoints (port " + s.port() + ")", STARTUP,
            () -> Smoke.endpointsSeenBy(c).getOrDefault(SERVICE, List.of()).stream().filter(e -> e.matches(".*[\\[,]" + s.port() + "[\\],].*")).count() == 4,
            caller, callerOkHttp5, controlPlane, servers.get(s.addresses().get(0)));
      }
    }
    System.out.printf("[%s] matrix: %d JVMs started and registered in %d s%n", Smoke.LABEL, servers.size() + 3, (System.nanoTime() - started) / 1_000_000_000L);
  }

  /** C1 only: two dozen JVMs start faster on a busy machine; a JIT flag, not a change to the application. */
  static List<String> c1(List<String> command) {
    List<String> cmd = new ArrayList<>(List.of("-XX:TieredStopAtLevel=1"));
    cmd.addAll(command);
    return cmd;
  }

  /**
   * The matrix caller with every client library on its class path (Apache 5 and 4.5, Reactor Netty
   * and WebClient, OpenFeign and feign-okhttp, Jetty 12) and OkHttp {@code okhttp} (4 or 5).
   */
  static List<String> callerCommand(int okhttp, String address) {
    List<String> cmd = JettyClientMeshSmokeTest.withJetty(OkHttpJars.with(okhttp, Smoke.plainAppWithClientLibraries("matrix.MatrixCallerApp", address, "8080")));
    int at = cmd.indexOf("-cp") + 1;
    StringBuilder cp = new StringBuilder(cmd.get(at));
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.replace('\\', '/').contains("/io/github/openfeign/")) {
        cp.append(File.pathSeparator).append(entry);
      }
    }
    cmd.set(at, cp.toString());
    return cmd;
  }

  @AfterAll
  void stopMesh() {
    Proc.stopAll(servers.values(), caller, callerOkHttp5, controlPlane);
  }

  /**
   * Every cell: {@value #N} calls with {@code x-canary: true} land on v2 only and on both v2
   * endpoints; {@value #N} without the header and {@value #N} with {@code x-canary: false} on v1
   * only and on both v1 endpoints; all 200. The clients run side by side (each its own calls),
   * each going through the servers one after another. Writes target/matrix.md.
   */
  @Test
  @Order(1)
  void everyClientToEveryServer_seedCanary() throws Exception {
    long started = System.nanoTime();
    // One client of a caller at a time, to every server at once: under LEAST_REQUEST two sequential
    // clients sharing one caller's two endpoints lean each to one endpoint (each sees the other's
    // request in flight; half the picks stay random, as in Envoy), which is the balancer's job. Servers are
    // clusters of their own (one port each), the OkHttp 5 caller a JVM of its own.
    ExecutorService callers = Executors.newFixedThreadPool(2);
    ExecutorService cellPool = Executors.newFixedThreadPool(2 * SERVERS.size());
    try {
      List<Future<?>> running = new ArrayList<>();
      for (String callerAddress : List.of(CALLER, CALLER_OKHTTP5)) {
        running.add(callers.submit(() -> {
          for (Client c : CLIENTS) {
            if (!c.caller().equals(callerAddress)) {
              continue;
            }
            List<Future<?>> row = new ArrayList<>();
            for (Server s : SERVERS) {
              row.add(cellPool.submit(() -> cells.put(key(c, s), cell(c, s))));
            }
            for (Future<?> f : row) {
              f.get(120, TimeUnit.SECONDS);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get(240, TimeUnit.SECONDS);
      }
    } finally {
      callers.shutdownNow();
      cellPool.shutdownNow();
    }
    table = table();
    recordSupport();
    Path target = Smoke.ROOT.resolve("smoke-tests/target");
    Files.writeString(target.resolve("matrix.md"), table);
    Files.writeString(target.resolve("matrix-" + Smoke.LABEL + ".md"), table);
    System.out.printf("[%s] matrix: %d cells in %d s%n%s", Smoke.LABEL, cells.size(), (System.nanoTime() - started) / 1_000_000_000L, table);
    if (UPDATE_README) {
      writeReadme(table);
    }
    Map<String, String> documented = documentedCells(readmeBlock());
    List<String> undocumented = new ArrayList<>();
    for (Client c : CLIENTS) {
      for (Server s : SERVERS) {
        String failure = cells.get(key(c, s));
        if (!failure.isEmpty() && !cellText(failure).equals(documented.get(key(c, s)))) {
          undocumented.add(c.label() + " → " + s.label() + ": " + failure);
        }
      }
    }
    assertThat(undocumented).as("cells that failed and that the README's matrix does not show failing (logs: " + logs + ")").isEmpty();
  }

  /** Each client's and each server's row of the support table: the matrix passed when every cell of its row (column) did. */
  private void recordSupport() {
    String source = getClass().getSimpleName() + "#everyClientToEveryServer_seedCanary";
    for (Client c : CLIENTS) {
      SupportRecorder.record("matrix", c.library(), SERVERS.stream().allMatch(s -> "".equals(cells.get(key(c, s)))), source + " " + c.name());
    }
    for (Server s : SERVERS) {
      SupportRecorder.record("matrix", s.library(), CLIENTS.stream().allMatch(c -> "".equals(cells.get(key(c, s)))), source + " " + s.label());
    }
  }

  /**
   * The README's matrix is this run's: CI fails when they differ (a cell fixed or broken without
   * the README saying so).
   */
  @Test
  @Order(2)
  void readmeMatrixIsThisRunsMatrix() {
    assertThat(table).as("the matrix of the first test").isNotNull();
    assertThat(readmeBlock())
        .as("README.md's matrix (between " + BEGIN + " and " + END + ") differs from what this run produced (smoke-tests/target/matrix.md)."
            + " Regenerate it: mvn -o -B -pl smoke-tests -am verify -Dtest=ClientServerMatrixSmokeTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dinmesh.matrix.update=true (writes the run's table into README.md; or copy smoke-tests/target/matrix.md there), then review and commit it;"
            + " a ❌ cell must also be named as a limitation in that library's support-table row")
        .isEqualTo(table.strip());
  }

  static String key(Client c, Server s) {
    return c.name() + "|" + s.port();
  }

  /** One cell: "" when it passed, else what failed (first finding per header value). */
  String cell(Client c, Server s) {
    List<String> failures = new ArrayList<>();
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("x-canary: true", "v2");
    headers.put("no x-canary", "v1");
    headers.put("x-canary: false", "v1");
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String header = h.getKey().startsWith("x-canary") ? h.getKey().replace(" ", "") : null;
      String failure = check(c, s, header, h.getValue());
      if (failure != null) {
        failures.add(h.getKey() + ": " + failure);
      }
    }
    return String.join("; ", failures);
  }

  /** null when all {@value #N} calls with {@code header} were answered 200 by both endpoints of {@code version} and no other. */
  String check(Client c, Server s, String header, String version) {
    JsonNode r;
    try {
      r = Smoke.getJson("http://" + c.caller() + ":8080/call?client=" + c.name() + "&n=" + N + "&url=" + enc("http://" + SERVICE + ":" + s.port() + "/usuarios/1")
          + (header == null ? "" : "&h=" + enc(header)));
    } catch (AssertionError e) {
      return "the caller did not answer";
    }
    Set<String> statuses = new TreeSet<>();
    Set<String> listeners = new LinkedHashSet<>();
    String error = null;
    for (JsonNode result : r.path("results")) {
      statuses.add(result.path("status").asText());
      listeners.add(result.path("listener").asText());
      if (error == null && result.has("error")) {
        error = result.path("error").asText();
      }
    }
    if (!statuses.equals(Set.of("200"))) {
      String shown = statuses.contains("0") && error != null ? " (" + error.replaceAll(":.*", "") + ")" : "";
      System.out.printf("[%s] %s → %s %s: %s%n", Smoke.LABEL, c.name(), s.label(), header, r);
      return "status " + String.join("/", statuses) + shown;
    }
    Set<String> expected = new TreeSet<>();
    s.subset(version).forEach(a -> expected.add(a + ":" + s.port()));
    Set<String> other = new TreeSet<>(listeners);
    other.removeAll(expected);
    if (!other.isEmpty()) {
      System.out.printf("[%s] %s → %s %s: listeners %s%n", Smoke.LABEL, c.name(), s.label(), header, listeners);
      return "not only " + version;
    }
    if (!listeners.containsAll(expected)) {
      return "one " + version + " endpoint only";
    }
    return null;
  }

  // ---- the table ---------------------------------------------------------------------------------

  static String cellText(String failure) {
    return failure.isEmpty() ? "✅" : "❌ " + failure.replace("|", "\\|");
  }

  String table() {
    StringBuilder sb = new StringBuilder("| client \\ server |");
    for (Server s : SERVERS) {
      sb.append(' ').append(s.label()).append(" |");
    }
    sb.append("\n|---|");
    sb.append("---|".repeat(SERVERS.size()));
    for (Client c : CLIENTS) {
      sb.append("\n| ").append(c.label()).append(" |");
      for (Server s : SERVERS) {
        sb.append(' ').append(cellText(cells.get(key(c, s)))).append(" |");
      }
    }
    return sb.append('\n').toString();
  }

  static final ReadmeBlock BLOCK = new ReadmeBlock(BEGIN, END);

  /** The README's matrix between the markers ("" when the markers are missing), stripped. */
  static String readmeBlock() {
    return BLOCK.read();
  }

  /** "client|server" → the README's cell text, for the cells it shows failing. */
  static Map<String, String> documentedCells(String block) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : block.lines().toList()) {
      for (Client c : CLIENTS) {
        if (line.startsWith("| " + c.label() + " |")) {
          // | label | cell | cell | ... |, a cell's own bars escaped (\\|)
          String[] parts = line.split("(?<!\\\\)\\|", -1);
          for (int i = 0; i < SERVERS.size() && i + 2 < parts.length; i++) {
            String cell = parts[i + 2].strip();
            if (cell.startsWith("❌")) {
              out.put(key(c, SERVERS.get(i)), cell);
            }
          }
        }
      }
    }
    return out;
  }

  static void writeReadme(String table) throws IOException {
    BLOCK.write(table);
  }
}
