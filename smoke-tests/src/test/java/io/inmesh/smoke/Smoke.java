package io.inmesh.smoke;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
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
import java.util.function.BooleanSupplier;

/** Paths, processes and HTTP helpers shared by the smoke scenarios. */
public final class Smoke {
  public static final Path ROOT = findRoot();
  public static final String JAVA = System.getProperty("inmesh.test.java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
  public static final String LABEL = System.getProperty("inmesh.test.label", "java");
  public static final Path AGENT = ROOT.resolve("agent/target/inmesh-agent.jar");
  public static final Path CONTROL = ROOT.resolve("control-plane/target/inmesh-control.jar");
  public static final Path APPS = ROOT.resolve("smoke-tests/target/classes");
  public static final Path LOGS = ROOT.resolve("smoke-tests/target/smoke-logs/" + LABEL);
  public static final ObjectMapper JSON = new ObjectMapper();

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Smoke() {}

  private static Path findRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("agent/pom.xml"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("run from inside the inmesh repository");
    }
    return p;
  }

  /** A fresh directory under target/ for one scenario's files (kept for post-mortems). */
  public static Path workDir(String name) {
    try {
      Path base = Files.createDirectories(ROOT.resolve("smoke-tests/target/smoke-work/" + LABEL));
      return Files.createTempDirectory(base, name + "-");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // ---- processes ---------------------------------------------------------------------------------

  public static Proc controlPlane(String name, String listen, Path policyDir, Path dataDir, Path logDir) throws IOException {
    return controlPlane(name, listen, policyDir, dataDir, logDir, "1s", "5s");
  }

  /**
   * The same with the registry's expiry of its own: scenarios that count calls per endpoint use a
   * long one, so that a heartbeat late on a busy machine never takes an endpoint away mid-count.
   */
  public static Proc controlPlane(String name, String listen, Path policyDir, Path dataDir, Path logDir, String ttl) throws IOException {
    return controlPlane(name, listen, policyDir, dataDir, logDir, "1s", ttl);
  }

  /** A control plane with the given {@code --heartbeat} and {@code --ttl}. */
  public static Proc controlPlane(String name, String listen, Path policyDir, Path dataDir, Path logDir, String heartbeat, String ttl)
      throws IOException {
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m",
            "-XX:+UseSerialGC",
            "-jar",
            CONTROL.toString(),
            "--listen",
            listen,
            "--policy-dir",
            policyDir.toString(),
            "--data-dir",
            dataDir.toString(),
            "--heartbeat",
            heartbeat,
            "--ttl",
            ttl);
    Proc p = Proc.start(name, cmd, Map.of(), logDir);
    awaitTrue("control plane " + listen + " healthy", Duration.ofSeconds(30), () -> status("http://" + listen + "/healthz") == 200, p);
    return p;
  }

  /**
   * The profile the smoke fleets run in (issue 13): {@code -Dinmesh.test.profile}, default {@code auto}:
   * no INMESH_PROFILE, so the agent's automatic rule decides — the mesh profile, as for a user with no
   * OpenTelemetry exporter. {@code -Dinmesh.test.profile=traced} runs the whole suite traced. The
   * traced profile's own subset (routing, retries, trace context, mTLS and authorization) is the classes
   * that start their workloads with {@link #meshedTraced}.
   */
  public static final String TEST_PROFILE = System.getProperty("inmesh.test.profile", "auto");

  /**
   * {@link #meshed} in the traced profile (the embedded OpenTelemetry agent hosts inmesh): the classes
   * of the traced subset start every workload with this.
   */
  public static Proc meshedTraced(String name, Map<String, String> inmeshEnv, Path logDir, List<String> appCommand) throws IOException {
    Map<String, String> env = new HashMap<>(inmeshEnv);
    env.putIfAbsent("INMESH_PROFILE", "traced");
    return meshed(name, env, logDir, appCommand);
  }

  /** Put as INMESH_PROFILE in an env map: the JVM starts with no INMESH_PROFILE, so the automatic rule decides. */
  public static final String AUTO_PROFILE = "auto";

  /** An application JVM with only the agent attached through JAVA_TOOL_OPTIONS, plus INMESH_* env. */
  public static Proc meshed(String name, Map<String, String> inmeshEnv, Path logDir, List<String> appCommand) throws IOException {
    Map<String, String> env = new HashMap<>(inmeshEnv);
    String profile = env.containsKey("INMESH_PROFILE") ? env.get("INMESH_PROFILE") : TEST_PROFILE;
    if (AUTO_PROFILE.equals(profile)) {
      env.remove("INMESH_PROFILE");
    } else {
      env.put("INMESH_PROFILE", profile);
    }
    env.put("JAVA_TOOL_OPTIONS", "-javaagent:" + AGENT);
    List<String> cmd = new ArrayList<>();
    cmd.add(JAVA);
    cmd.add("-Xmx192m");
    cmd.add("-XX:+UseSerialGC");
    cmd.addAll(appCommand);
    return Proc.start(name, cmd, env, logDir);
  }

  public static List<String> plainApp(String mainClass, String... args) {
    // Java 17's HttpServer writes headers and body separately without TCP_NODELAY, so a kept-alive
    // client waits ~40 ms for the delayed ACK on every call (fixed in later JDKs); the JDK's own
    // switch turns that off. It is a JVM flag, not a change to the application.
    List<String> cmd = new ArrayList<>(List.of("-Dsun.net.httpserver.nodelay=true", "-cp", APPS.toString(), "io.inmesh.smoke.apps." + mainClass));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /**
   * Like {@link #plainApp}, with the libraries the plain applications use (Resilience4j and its
   * logging API) on their class path: the same jars this test JVM resolved from the pom.
   */
  /** Apache HttpClient 5 and 4.5 with their dependencies, and Spring's RestTemplate (spring-web and what it needs). */
  private static final java.util.regex.Pattern APACHE_CLIENT_JARS = java.util.regex.Pattern.compile(
      "(httpclient5-|httpcore5-|httpclient-4|httpcore-4|commons-logging-|commons-codec-|spring-(web|core|beans|jcl)-6|micrometer-(observation|commons)-)");

  public static List<String> plainAppWithLibraries(String mainClass, String... args) {
    StringBuilder cp = new StringBuilder(APPS.toString());
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      String file = Path.of(entry).getFileName().toString();
      if (file.startsWith("resilience4j-") || file.startsWith("slf4j-api-") || APACHE_CLIENT_JARS.matcher(file).lookingAt()) {
        cp.append(java.io.File.pathSeparator).append(entry);
      }
    }
    List<String> cmd = new ArrayList<>(plainApp(mainClass, args));
    cmd.set(cmd.indexOf("-cp") + 1, cp.toString());
    return cmd;
  }

  /**
   * Like {@link #plainAppWithLibraries}, with also the Reactor clients' libraries on the class path
   * (Reactor Netty, Spring WebFlux and what they need, BlockHound), from the jars this test JVM
   * resolved from the pom, and the JVM switches BlockHound needs to install itself (it redefines JDK
   * methods; -XX:+AllowRedefinitionToAddDeleteMethods, as its documentation says for Java 13+). JVM
   * flags, not changes to the application.
   */
  public static List<String> plainAppWithClientLibraries(String mainClass, String... args) {
    List<String> cmd = new ArrayList<>(List.of(
        "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+AllowRedefinitionToAddDeleteMethods", "-XX:+EnableDynamicAgentLoading", "-Djdk.attach.allowAttachSelf=true"));
    cmd.addAll(plainAppWithLibraries(mainClass, args));
    int at = cmd.indexOf("-cp") + 1;
    StringBuilder cp = new StringBuilder(cmd.get(at));
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      String e = entry.replace('\\', '/');
      if (e.contains("/io/projectreactor/") || e.contains("/io/netty/") || e.contains("/org/springframework/")
          || e.contains("/org/reactivestreams/") || e.contains("/io/micrometer/")) {
        cp.append(java.io.File.pathSeparator).append(entry);
      }
    }
    cmd.set(at, cp.toString());
    return cmd;
  }

  /** Waits until the agent says ready on its health port (first snapshot applied). */
  public static void awaitReady(Proc app, String adminAddress) {
    awaitReady(app, adminAddress, Duration.ofSeconds(180));
  }

  /** The same with a bound of its own. */
  public static void awaitReady(Proc app, String adminAddress, Duration bound) {
    awaitTrue(app.name() + " ready", bound, () -> status("http://" + adminAddress + ":15020/healthz/ready") == 200, app);
  }

  // ---- HTTP --------------------------------------------------------------------------------------

  /**
   * One {@code GET} in plain text over a raw socket, as a client outside the mesh sends it (no agent
   * in this JVM decides anything); the raw response, or "" when the connection was refused or closed.
   */
  public static String rawGet(String address, int port, String host, String path, String extraHeaders) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress(address, port), 5_000);
      s.setSoTimeout(15_000);
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extraHeaders + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  public static int status(String url) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  public static String get(String url) {
    try {
      HttpResponse<String> r =
          HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
      return r.body();
    } catch (IOException e) {
      throw new AssertionError("GET " + url + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public static JsonNode getJson(String url) {
    String body = get(url);
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new AssertionError("GET " + url + " did not return JSON: " + body, e);
    }
  }

  public static HttpResponse<String> send(HttpRequest request) {
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(request.method() + " " + request.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Asks a PlainPedidoApp to make {@code n} calls. */
  public static JsonNode calls(String pedido, String url, String client, String canary, int n) {
    return getJson("http://" + pedido + "/call?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8) + "&client=" + client + "&canary=" + canary + "&n=" + n);
  }

  // ---- an agent's admin port ---------------------------------------------------------------------

  /** service → endpoints ("address:[ports]") in the snapshot a workload's agent runs; empty while its admin port is not up. */
  public static Map<String, List<String>> endpointsSeenBy(String adminAddress) {
    Map<String, List<String>> out = new HashMap<>();
    try {
      JsonNode dump = getJson("http://" + adminAddress + ":15000/config_dump");
      for (JsonNode s : dump.path("services")) {
        List<String> eps = new ArrayList<>();
        for (JsonNode e : s.path("endpoints")) {
          eps.add(e.path("address").asText() + ":" + e.path("ports").toString());
        }
        out.put(s.path("name").asText(), eps);
      }
    } catch (AssertionError e) {
      // admin not up yet
    }
    return out;
  }

  /**
   * Applies a policy file through the control plane's {@code POST /v1/policy} (which writes it into
   * the policy directory, loads it and rebuilds the views before it answers), then waits, bounded,
   * until the control plane reports every listed agent {@code current}: it acknowledged the snapshot
   * its view now holds. Waiting for an agent's version merely to move was not enough: an earlier
   * write still inside the watcher's settle window could move it first, and the wait ended on the
   * older policy (a flake seen on Java 25 in the Istio task replays).
   */
  public static void applyPolicy(Path file, String yaml, List<String> adminAddresses, Proc... logsOnFailure) {
    if (adminAddresses.isEmpty()) {
      write(file, yaml);
      return;
    }
    List<JsonNode> dumps = new ArrayList<>();
    for (String a : adminAddresses) {
      dumps.add(getJson("http://" + a + ":15000/config_dump"));
    }
    String controlUrl = dumps.get(0).path("controlPlane").path("url").asText();
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(URI.create(controlUrl + "/v1/policy?file=" + file.getFileName()))
                .timeout(Duration.ofSeconds(15))
                .POST(HttpRequest.BodyPublishers.ofString(yaml))
                .build());
    if (r.statusCode() != 200) {
      throw new AssertionError("policy " + file.getFileName() + " refused by " + controlUrl + ": " + r.statusCode() + " " + r.body());
    }
    try {
      if (!Files.exists(file) || !Files.readString(file).equals(yaml)) {
        throw new AssertionError(file + " is not in the policy directory of " + controlUrl);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    for (int i = 0; i < adminAddresses.size(); i++) {
      String agent = dumps.get(i).path("workload").path("agent").asText();
      awaitTrue(
          "policy " + file.getFileName() + " acknowledged by " + adminAddresses.get(i) + " (" + agent + ")",
          Duration.ofSeconds(15),
          () -> "current".equals(agentState(controlUrl, agent)),
          logsOnFailure);
    }
  }

  /** The agent's {@code state} on the control plane's {@code GET /v1/agents}, or null when not listed. */
  public static String agentState(String controlUrl, String agent) {
    for (JsonNode a : getJson(controlUrl + "/v1/agents").path("agents")) {
      if (agent.equals(a.path("agent").asText())) {
        return a.path("state").asText();
      }
    }
    return null;
  }

  // ---- waiting -----------------------------------------------------------------------------------

  public static void awaitTrue(String what, Duration timeout, BooleanSupplier condition, Proc... logsOnFailure) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String problem = "timed out after " + timeout.toSeconds() + "s";
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Proc dead = null;
      for (Proc p : logsOnFailure) {
        if (!p.alive()) {
          dead = p;
        }
      }
      if (dead != null) {
        problem = dead.name() + " exited";
        break;
      }
      sleep(50);
    }
    StringBuilder sb = new StringBuilder(problem + " waiting for " + what);
    for (Proc p : logsOnFailure) {
      sb.append("\n--- ").append(p).append(" (last lines) ---\n").append(p.tail(40));
    }
    throw new AssertionError(sb.toString());
  }

  /**
   * Runs {@code check} for every item at once, each on its own thread, and waits for all of them
   * (at most {@code bound}): checks whose calls each wait out the same injected delay or slow
   * upstream wait together instead of one after another. Every check still runs in full; the first
   * failure is rethrown with the others suppressed on it. Only for checks that share no state the
   * others change (each client its own calls).
   */
  public static <T> void eachAtOnce(List<T> items, Duration bound, java.util.function.Consumer<T> check) {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, items.size()));
    try {
      List<java.util.concurrent.Future<?>> running = new ArrayList<>();
      for (T item : items) {
        running.add(pool.submit(() -> check.accept(item)));
      }
      long deadline = System.nanoTime() + bound.toNanos();
      AssertionError first = null;
      for (int i = 0; i < running.size(); i++) {
        Throwable failure;
        try {
          running.get(i).get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
          continue;
        } catch (java.util.concurrent.ExecutionException e) {
          failure = e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
          failure = new AssertionError(items.get(i) + ": not done within " + bound.toSeconds() + "s");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          failure = e;
        }
        if (first == null) {
          first = failure instanceof AssertionError a ? a : new AssertionError(items.get(i) + ": " + failure, failure);
        } else {
          first.addSuppressed(failure);
        }
      }
      if (first != null) {
        throw first;
      }
    } finally {
      pool.shutdownNow();
    }
  }

  public static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      Files.writeString(tmp, text);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  public static Map<String, String> inmeshEnv(String service, String labels, String address, String controlUrl, Path cacheDir) {
    Map<String, String> env = new HashMap<>();
    env.put("INMESH_CONTROL_URL", controlUrl);
    env.put("INMESH_SERVICE", service);
    env.put("INMESH_LABELS", labels);
    env.put("INMESH_ADMIN_ADDRESS", address);
    env.put("INMESH_CACHE_DIR", cacheDir.toString());
    return env;
  }
}
