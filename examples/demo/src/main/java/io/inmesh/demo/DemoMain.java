package io.inmesh.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./inmesh demo}: the seed's services in a mesh without sidecars. Starts the control plane
 * and usuario-service v1/v2 and pedido-service (unmodified Spring Boot jars, agent attached through
 * JAVA_TOOL_OPTIONS) on their own loopback addresses, then walks a canary rollout 0 → 10 → 50 →
 * 100% to v2 by rewriting the VirtualService in the watched policy folder, printing where calls
 * land. Then security: every service holds a workload certificate (join tokens made with the
 * control plane's {@code token create}), runs PeerAuthentication STRICT, and usuario-service allows
 * only pedido-service's identity; the demo shows mTLS on the hop, a plain-text call refused, and an
 * AuthorizationPolicy edit denying and restoring the caller. Stops everything and exits by itself
 * ({@code --keep} leaves the mesh running; Ctrl-C always stops everything).
 */
public final class DemoMain {
  static final String CP = "127.0.0.9:15010";
  static final String PEDIDO = "127.0.0.23:8080";
  static final int CALLS_PER_CLIENT = 20;
  static final Pattern VERSION = Pattern.compile("\"version\"\\s*:\\s*\"(v\\d)\"");

  private final Path root;
  private final Path work;
  private final boolean keep;
  private final List<Process> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  DemoMain(Path root, boolean keep) {
    this.root = root;
    this.work = root.resolve(".inmesh-demo");
    this.keep = keep;
  }

  public static void main(String[] args) throws Exception {
    boolean keep = List.of(args).contains("--keep");
    Path root = Path.of(System.getProperty("inmesh.root", ".")).toAbsolutePath().normalize();
    DemoMain demo = new DemoMain(root, keep);
    Runtime.getRuntime().addShutdownHook(new Thread(demo::stopAll, "demo-stop"));
    int code;
    try {
      code = demo.run();
    } catch (DemoFailure e) {
      System.out.println();
      System.out.println("demo failed: " + e.getMessage());
      code = 1;
    }
    if (code == 0 && keep) {
      System.out.println("--keep: the mesh keeps running. Press Ctrl-C to stop everything.");
      Thread.currentThread().join();
    }
    System.exit(code);
  }

  int run() throws Exception {
    Path agent = need("agent/target/inmesh-agent.jar");
    Path control = need("control-plane/target/inmesh-control.jar");
    Path usuario = need("examples/usuario-service/target/usuario-service.jar");
    Path pedido = need("examples/pedido-service/target/pedido-service.jar");
    Path policies = work.resolve("policies");
    Path logs = work.resolve("logs");
    deleteTree(work);
    Files.createDirectories(policies);
    Files.createDirectories(logs);
    // no VirtualService yet: calls are balanced over every usuario-service endpoint
    writeAtomically(policies.resolve("subsets.yaml"), SUBSETS);
    // security from the start: STRICT mesh-wide, the edge PERMISSIVE, usuario-service only for pedido-service
    writeAtomically(policies.resolve("peer-authentication.yaml"), PEER_AUTHENTICATION);
    writeAtomically(policies.resolve("usuario-authz.yaml"), SEED_AUTHZ);

    System.out.println("inmesh demo — the seed's services, meshed without sidecars (logs in " + root.relativize(logs) + "/)");
    System.out.println();
    long t0 = System.nanoTime();
    step("control plane on " + CP, () -> {
      start("control-plane", logs, Map.of(), List.of(java(), "-jar", control.toString(), "--listen", CP, "--policy-dir", policies.toString(), "--data-dir", work.resolve("control-data").toString(), "--heartbeat", "2s", "--ttl", "10s"));
      await("control plane", () -> status("http://" + CP + "/healthz") == 200, 30);
    });
    Map<String, String> tokens = new HashMap<>();
    step("workload identities: a join token each for usuario-service and pedido-service (./inmesh token create)", () -> {
      for (String sa : List.of("usuario-service", "pedido-service")) {
        tokens.put(sa, token(control, sa));
      }
    });
    String agentOpt = "-javaagent:" + agent;
    step("usuario-service v1 (127.0.0.21:8080), v2 (127.0.0.22:8080), pedido-service (127.0.0.23:8080), agent attached", () -> {
      start("usuario-v1", logs, env(agentOpt, "usuario-service", "version=v1", "127.0.0.21", Map.of("USUARIO_VERSION", "v1", "INMESH_TOKEN", tokens.get("usuario-service"))), List.of(java(), "-Xmx256m", "-jar", usuario.toString(), "--server.address=127.0.0.21", "--server.port=8080"));
      start("usuario-v2", logs, env(agentOpt, "usuario-service", "version=v2", "127.0.0.22", Map.of("USUARIO_VERSION", "v2", "INMESH_TOKEN", tokens.get("usuario-service"))), List.of(java(), "-Xmx256m", "-jar", usuario.toString(), "--server.address=127.0.0.22", "--server.port=8080"));
      start("pedido", logs, env(agentOpt, "pedido-service", "version=v1", "127.0.0.23", Map.of("INMESH_TOKEN", tokens.get("pedido-service"))), List.of(java(), "-Xmx256m", "-jar", pedido.toString(), "--server.address=127.0.0.23", "--server.port=8080"));
      await("the three services to register", () -> {
        String eps = get("http://" + CP + "/v1/endpoints");
        return eps != null && eps.contains("127.0.0.21") && eps.contains("127.0.0.22") && eps.contains("127.0.0.23");
      }, 90);
      await("pedido-service's agent to see both usuario endpoints", () -> {
        String dump = get("http://127.0.0.23:15000/config_dump");
        return dump != null && dump.contains("127.0.0.22") && dump.contains("127.0.0.21");
      }, 30);
      for (String a : List.of("127.0.0.21", "127.0.0.22", "127.0.0.23")) {
        await("the agent on " + a + " to hold its workload certificate", () -> IDENTITY_READY.matcher(String.valueOf(get("http://" + a + ":15000/config_dump"))).find(), 60);
      }
    });
    System.out.printf("mesh up in %.1f s: %s%n%n", (System.nanoTime() - t0) / 1e9, agentsLine());

    System.out.println("Canary rollout: the VirtualService's default route sends p% to subset v2;");
    System.out.println("requests with header x-canary: true always go to v2. pedido-service calls");
    System.out.println("http://usuario-service/usuarios/{id} with the seed's @LoadBalanced RestTemplate (Spring Cloud");
    System.out.println("LoadBalancer over HttpURLConnection), the JDK HttpClient and Spring's WebClient (Reactor Netty).");
    System.out.println();
    System.out.println("  to v2 | policy → pedido | RestTemplate v1/v2 | HttpClient v1/v2 | WebClient v1/v2 | x-canary:true → v2");
    System.out.println("  ------+-----------------+--------------------+------------------+-----------------+-------------------");
    for (int p : new int[] {0, 10, 50, 100}) {
      String before = snapshotVersion();
      long e0 = System.nanoTime();
      writeAtomically(policies.resolve("canary.yaml"), canary(p));
      await("the edit to reach pedido-service", () -> !before.equals(snapshotVersion()), 10);
      long editMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - e0);
      int[] rt = tally("lb-rest-template", false, CALLS_PER_CLIENT);
      int[] hc = tally("http-client", false, CALLS_PER_CLIENT);
      int[] wc = tally("web-client", false, CALLS_PER_CLIENT);
      int[] canary = tally("web-client", true, 5);
      System.out.printf("  %4d%% | %12d ms | %8d / %-7d | %7d / %-6d | %6d / %-6d | %d of %d%n", p, editMs, rt[0], rt[1], hc[0], hc[1], wc[0], wc[1], canary[1], canary[0] + canary[1]);
    }
    System.out.println();
    security(policies);
    System.out.println();
    System.out.println("Look inside: curl http://" + CP + "/v1/agents   curl http://127.0.0.23:15000/config_dump");
    if (!keep) {
      System.out.println("Stopping everything (run ./inmesh demo --keep to leave the mesh running).");
    }
    return 0;
  }

  /**
   * mTLS and authorization, shown on the running mesh: where pedido's calls went (mTLS or plain), a
   * plain-text call to usuario-service refused at the connection, and an AuthorizationPolicy edit
   * that denies pedido-service and is then undone.
   */
  void security(Path policies) throws Exception {
    System.out.println("Security: every service runs PeerAuthentication STRICT (mesh-wide, in istio-system); pedido-service, the edge");
    System.out.println("this demo calls from outside the mesh, is PERMISSIVE by a workload selector. usuario-service runs the seed's");
    System.out.println("AuthorizationPolicy usuario-service-authz: only " + TD + "/ns/default/sa/pedido-service may GET or POST.");
    System.out.println("The apps still use http:// URLs.");
    System.out.println();
    long mtls = counter("127.0.0.23", "upstreamAttemptsMtls");
    long plain = counter("127.0.0.23", "upstreamAttemptsPlain");
    if (mtls <= 0) {
      throw new DemoFailure("pedido-service's agent sent no call over mTLS (mtls=" + mtls + ", plain=" + plain + "); see .inmesh-demo/logs/pedido.log");
    }
    System.out.printf("  pedido → usuario       : %d calls over mTLS, %d in plain text (pedido's agent, /config_dump stats.security)%n", mtls, plain);
    System.out.println("  plain text → usuario   : " + plainTextCall("127.0.0.21", 8080) + "  (what `curl http://127.0.0.21:8080/usuarios/1` gets)");
    String before = snapshotVersion("127.0.0.21");
    writeAtomically(policies.resolve("usuario-authz.yaml"), usuarioAllows("inventario-service"));
    await("the AuthorizationPolicy edit to reach usuario-service", () -> !before.equals(snapshotVersion("127.0.0.21")) && !snapshotVersion("127.0.0.21").isEmpty(), 10);
    await("the AuthorizationPolicy edit to reach usuario-service v2", () -> snapshotVersion("127.0.0.21").equals(snapshotVersion("127.0.0.22")), 10);
    HttpResponse<String> denied = http.send(HttpRequest.newBuilder(URI.create("http://" + PEDIDO + "/pedidos/1?client=http-client")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (denied.statusCode() == 200 || !denied.body().contains("403")) {
      throw new DemoFailure("usuario-service should have denied pedido-service, yet pedido answered " + denied.statusCode() + ": " + denied.body());
    }
    System.out.println("  allow only inventario  : pedido's call denied — " + upstreamError(denied.body()));
    System.out.println("  its audit line         : " + lastDenial());
    String edited = snapshotVersion("127.0.0.21");
    writeAtomically(policies.resolve("usuario-authz.yaml"), SEED_AUTHZ);
    await("the restored AuthorizationPolicy to reach usuario-service", () -> !edited.equals(snapshotVersion("127.0.0.21")) && snapshotVersion("127.0.0.21").equals(snapshotVersion("127.0.0.22")), 10);
    int[] back = tally("http-client", false, 5);
    System.out.printf("  the seed's policy again: %d of 5 calls answered%n", back[0] + back[1]);
  }

  /** The newest denial in usuario-service's audit trail (its agents write it to stdout, so to their logs). */
  String lastDenial() throws IOException {
    String last = null;
    for (String log : List.of("usuario-v1.log", "usuario-v2.log")) {
      Path f = work.resolve("logs").resolve(log);
      if (!Files.exists(f)) {
        continue;
      }
      for (String line : Files.readAllLines(f)) {
        if (line.startsWith("{") && line.contains("\"decision\":\"deny\"") && (last == null || line.compareTo(last) > 0)) {
          last = line; // lines start with {"time":"<ISO instant>": the greatest is the newest
        }
      }
    }
    if (last == null) {
      throw new DemoFailure("usuario-service denied pedido-service but wrote no audit line; see .inmesh-demo/logs/usuario-v*.log");
    }
    return last;
  }

  /** One HTTP/1.1 request in plain text over a raw socket, as curl sends it: what came back. */
  static String plainTextCall(String host, int port) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress(host, port), 2000);
      s.setSoTimeout(3000);
      s.getOutputStream().write(("GET /usuarios/1 HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      byte[] b = s.getInputStream().readNBytes(12);
      String head = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
      if (head.startsWith("HTTP/1.1 200")) {
        throw new DemoFailure("usuario-service answered plain text with 200 while STRICT: " + head);
      }
      return b.length == 0 ? "refused (the connection was closed without an answer)" : "refused (no HTTP answer: " + b.length + " bytes of TLS alert or nothing)";
    } catch (IOException e) {
      return "refused (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
    }
  }

  static String upstreamError(String body) {
    Matcher m = Pattern.compile("\"error\"\\s*:\\s*\"([^\"]+)\"").matcher(body);
    Matcher u = Pattern.compile("\"upstreamBody\"\\s*:\\s*\"([^\"]*)\"").matcher(body);
    return (m.find() ? m.group(1) : body) + (u.find() ? " \"" + u.group(1) + "\"" : "");
  }

  /** A number from an agent's {@code /config_dump} (its stats), or -1. */
  long counter(String address, String name) {
    String dump = get("http://" + address + ":15000/config_dump");
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\\d+)").matcher(dump == null ? "" : dump);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  /** A join token for a service account of namespace default, as an operator makes it. */
  String token(Path control, String serviceAccount) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(java(), "-jar", control.toString(), "token", "create", "--data-dir", work.resolve("control-data").toString(),
        "--namespace", "default", "--service-account", serviceAccount, "--ttl", "24h").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
      throw new DemoFailure("could not make a join token for " + serviceAccount + " (inmesh token create): " + out);
    }
    return out;
  }

  /** Calls pedido-service n times; returns {v1, v2} counts (errors abort the demo). */
  int[] tally(String client, boolean canary, int n) throws IOException, InterruptedException {
    int[] c = new int[2];
    for (int i = 0; i < n; i++) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + PEDIDO + "/pedidos/" + (i + 1) + "?client=" + client)).timeout(Duration.ofSeconds(10));
      if (canary) {
        b.header("x-canary", "true");
      }
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      Matcher m = VERSION.matcher(r.body());
      if (r.statusCode() != 200 || !m.find()) {
        throw new DemoFailure("pedido-service answered " + r.statusCode() + ": " + r.body());
      }
      c[m.group(1).equals("v2") ? 1 : 0]++;
    }
    return c;
  }

  String snapshotVersion() {
    return snapshotVersion("127.0.0.23");
  }

  String snapshotVersion(String address) {
    String dump = get("http://" + address + ":15000/config_dump");
    if (dump == null) {
      return "";
    }
    Matcher m = Pattern.compile("\"snapshot\"\\s*:\\s*\\{[^}]*\"version\"\\s*:\\s*\"([^\"]+)\"").matcher(dump);
    return m.find() ? m.group(1) : "";
  }

  String agentsLine() {
    String agents = get("http://" + CP + "/v1/agents");
    if (agents == null) {
      return "";
    }
    Matcher m = Pattern.compile("\"service\"\\s*:\\s*\"([^\"]+)\"").matcher(agents);
    List<String> s = new ArrayList<>();
    while (m.find()) {
      s.add(m.group(1));
    }
    return s.size() + " agents registered " + s;
  }

  static String canary(int toV2) {
    return """
        # written by ./inmesh demo: step %d%% to v2
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: usuario-service-routing
        spec:
          hosts: [usuario-service]
          http:
          - match:
            - headers:
                x-canary:
                  exact: "true"
            route:
            - destination: {host: usuario-service, subset: v2}
          - route:
            - destination: {host: usuario-service, subset: v1}
              weight: %d
            - destination: {host: usuario-service, subset: v2}
              weight: %d
        """
        .formatted(toV2, 100 - toV2, toV2);
  }

  static final String TD = "spiffe://cluster.local";
  static final Pattern IDENTITY_READY = Pattern.compile("\"identity\"\\s*:\\s*\\{[^}]*\"ready\"\\s*:\\s*true");

  /**
   * Mesh-wide STRICT (https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/),
   * and the edge PERMISSIVE by a workload selector, which wins over the mesh-wide policy
   * (https://istio.io/latest/docs/reference/config/security/peer_authentication/): the demo's
   * driver is outside the mesh and has no certificate, as a browser or a load balancer would be.
   */
  static final String PEER_AUTHENTICATION =
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
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata:
        name: pedido-edge
        namespace: default
      spec:
        selector:
          matchLabels:
            app: pedido-service
        mtls:
          mode: PERMISSIVE
      """;

  /** The seed's own AuthorizationPolicy, verbatim (principals without spiffe://, as Istio accepts them). */
  static final String SEED_AUTHZ =
      """
      # Autorización de servicios (the seed's usuario-service-authz, verbatim)
      apiVersion: security.istio.io/v1beta1
      kind: AuthorizationPolicy
      metadata:
        name: usuario-service-authz
      spec:
        selector:
          matchLabels:
            app: usuario-service
        rules:
        - from:
          - source:
              principals: ["cluster.local/ns/default/sa/pedido-service"]
          to:
          - operation:
              methods: ["GET", "POST"]
      """;

  /** The seed's policy with another caller in pedido-service's place (https://istio.io/latest/docs/tasks/security/authorization/authz-http/). */
  static String usuarioAllows(String serviceAccount) {
    return """
        # written by ./inmesh demo
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: usuario-service-authz
        spec:
          selector:
            matchLabels:
              app: usuario-service
          action: ALLOW
          rules:
          - from:
            - source:
                principals: ["cluster.local/ns/default/sa/%s"]
            to:
            - operation:
                methods: ["GET", "POST"]
        """
        .formatted(serviceAccount);
  }

  static final String SUBSETS =
      """
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata:
        name: usuario-service-subsets
      spec:
        host: usuario-service
        subsets:
        - name: v1
          labels: {version: v1}
        - name: v2
          labels: {version: v2}
      """;

  // ---- plumbing ----------------------------------------------------------------------------------

  interface Action {
    void run() throws Exception;
  }

  static void step(String what, Action a) throws Exception {
    long t0 = System.nanoTime();
    System.out.print("  starting " + what + " ... ");
    System.out.flush();
    a.run();
    System.out.printf("ready (%.1f s)%n", (System.nanoTime() - t0) / 1e9);
  }

  Map<String, String> env(String agentOpt, String service, String labels, String address, Map<String, String> extra) {
    Map<String, String> e = new HashMap<>(extra);
    e.put("JAVA_TOOL_OPTIONS", agentOpt);
    e.put("INMESH_CONTROL_URL", "http://" + CP);
    e.put("INMESH_SERVICE", service);
    e.put("INMESH_LABELS", "app=" + service + "," + labels);
    e.put("INMESH_ADMIN_ADDRESS", address);
    e.put("INMESH_CACHE_DIR", work.resolve("cache").resolve(service).toString());
    return e;
  }

  void start(String name, Path logs, Map<String, String> env, List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("INMESH_") || k.equals("JAVA_TOOL_OPTIONS"));
    pb.environment().putAll(env);
    synchronized (processes) {
      processes.add(pb.start());
    }
  }

  void await(String what, java.util.function.BooleanSupplier ok, int seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (ok.getAsBoolean()) {
        return;
      }
      synchronized (processes) {
        for (Process p : processes) {
          if (!p.isAlive()) {
            throw new DemoFailure("a process exited early (exit " + p.exitValue() + ") while waiting for " + what + "; see .inmesh-demo/logs/");
          }
        }
      }
      sleepQuietly(100);
    }
    throw new DemoFailure("timed out after " + seconds + " s waiting for " + what + "; see .inmesh-demo/logs/");
  }

  int status(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  String get(String url) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  void stopAll() {
    List<Process> ps;
    synchronized (processes) {
      ps = new ArrayList<>(processes);
      processes.clear();
    }
    if (ps.stream().anyMatch(Process::isAlive)) {
      System.out.println("stopping the control plane and the services ...");
    }
    for (Process p : ps) {
      p.destroy(); // SIGTERM: agents deregister on the way out
    }
    for (Process p : ps) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
  }

  Path need(String relative) {
    Path p = root.resolve(relative);
    if (!Files.isRegularFile(p)) {
      throw new DemoFailure(relative + " is missing: build first with ./inmesh build (./inmesh demo does it for you)");
    }
    return p;
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static void writeAtomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }

  static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static final class DemoFailure extends RuntimeException {
    DemoFailure(String message) {
      super(message);
    }
  }
}
