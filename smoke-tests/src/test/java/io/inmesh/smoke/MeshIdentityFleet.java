package io.inmesh.smoke;

import static io.inmesh.smoke.Smoke.awaitTrue;
import static io.inmesh.smoke.Smoke.inmeshEnv;
import static io.inmesh.smoke.Smoke.meshed;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The set-up every mTLS smoke class repeated (the {@code duplicates} report flagged it), in one
 * place: a control plane with a CA in its data directory, a join token per service account
 * ({@code inmesh token create}), meshed workloads started with {@code INMESH_TOKEN}, the waits for
 * each workload's identity and for a caller to see a backend with its identity, and a plain
 * {@code HttpServer} outside the mesh. Each class keeps its own addresses, policies, workloads and
 * assertions; it owns one fleet per class ({@code @BeforeAll}) and stops it in {@code @AfterAll}.
 * Used by OkHttpMtlsSmokeTest, MtlsRotationSmokeTest, MtlsSmokeTest and ReactorNettyMtlsSmokeTest
 * (checked on Java 17 and 25).
 */
final class MeshIdentityFleet {
  static final String TD = "spiffe://cluster.local/ns/default/sa/";

  final Path tmp;
  final Path logs;
  final Path policies;
  final Path dataDir;
  /** The control plane's plain listener, {@code host:port}. */
  final String control;
  final List<Proc> procs = new CopyOnWriteArrayList<>();
  final Map<String, String> tokens = new ConcurrentHashMap<>();
  Proc controlPlane;
  HttpServer nonMesh;
  final AtomicInteger nonMeshServed = new AtomicInteger();

  MeshIdentityFleet(Path tmp, Path logs, String control) {
    this.tmp = tmp;
    this.logs = logs;
    this.control = control;
    try {
      this.policies = Files.createDirectories(tmp.resolve("policies"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.dataDir = tmp.resolve("control-data");
  }

  /**
   * The control plane with a CA (made in the data directory on first start) and a long registry
   * expiry ({@code 300s}): a dead workload's registration outlives it, as a stale endpoint would.
   */
  Proc startControlPlane() throws IOException {
    controlPlane = Smoke.controlPlane("control-plane", control, policies, dataDir, logs, "1s", "300s");
    procs.add(controlPlane);
    return controlPlane;
  }

  /** The same with a registry expiry and a workload certificate lifetime ({@code --cert-ttl}) of its own. */
  Proc startControlPlane(String registryTtl, String certTtl) throws IOException {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-XX:+UseSerialGC",
        "-jar", Smoke.CONTROL.toString(), "--listen", control, "--policy-dir", policies.toString(), "--data-dir", dataDir.toString(),
        "--heartbeat", "1s", "--ttl", registryTtl, "--cert-ttl", certTtl);
    controlPlane = Proc.start("control-plane", cmd, Map.of(), logs);
    procs.add(controlPlane);
    awaitTrue("control plane healthy", Duration.ofSeconds(30), () -> Smoke.status("http://" + control + "/healthz") == 200, controlPlane);
    return controlPlane;
  }

  /**
   * {@link #startControlPlane()} while the join tokens are made (a JVM each): {@code first} alone
   * (it makes the data directory's token key), then the others together. The control plane and
   * {@code inmesh token create} share the data directory, each with files of its own (the CA, the
   * token key), as ApacheMtlsSmokeTest has overlapped them since it was written.
   */
  Proc startControlPlaneWithTokens(String first, String... others) throws Exception {
    Files.createDirectories(dataDir);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<?> made = pool.submit(() -> {
        tokens(first, others);
        return null;
      });
      startControlPlane();
      made.get(240, TimeUnit.SECONDS);
    } finally {
      pool.shutdown();
    }
    return controlPlane;
  }

  /** A join token for {@code serviceAccount} in namespace default, kept in {@link #tokens}. */
  String token(String serviceAccount) {
    String t = IdentitySmokeTest.run(List.of(Smoke.ROOT.resolve("inmesh").toString(), "token", "create",
        "--data-dir", dataDir.toString(), "--namespace", "default", "--service-account", serviceAccount, "--ttl", "1h")).trim();
    tokens.put(serviceAccount, t);
    return t;
  }

  /** The first token alone (it makes the data directory's token key), then the others together. */
  void tokens(String first, String... others) throws Exception {
    token(first);
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, others.length));
    try {
      List<Future<?>> made = new ArrayList<>();
      for (String sa : others) {
        made.add(pool.submit(() -> token(sa)));
      }
      for (Future<?> f : made) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdown();
    }
  }

  /** A meshed workload's environment: its labels, its token, {@code APP_NAME}, a cache dir named {@code cacheKey}. */
  Map<String, String> env(String service, String labels, String address, String token, String cacheKey) {
    Map<String, String> env = inmeshEnv(service, labels, address, "http://" + control, tmp.resolve("cache-" + cacheKey));
    env.put("INMESH_TOKEN", token);
    env.put("APP_NAME", service);
    return env;
  }

  /** The usual one: labels {@code app=<service>}, the service account's token, a cache per service. */
  Map<String, String> env(String service, String address) {
    return env(service, "app=" + service, address, tokens.get(service), service);
  }

  /** Starts {@code command} meshed with {@code env}; stopped with the fleet. */
  Proc start(String name, Map<String, String> env, List<String> command) throws IOException {
    Proc p = meshed(name, env, logs, command);
    procs.add(p);
    return p;
  }

  /** The workload at {@code address}: ready, then holding its certificate. */
  void awaitIdentity(Proc p, String address) {
    Smoke.awaitReady(p, address);
    awaitTrue(p.name() + " identity", Duration.ofSeconds(60), () -> identity(address).path("ready").asBoolean(), p, controlPlane);
  }

  /** Until the agent at {@code at} sees an endpoint with {@code identity} and at least {@code minPorts} ports. */
  void awaitSeen(String what, String at, String identity, int minPorts, Duration bound, Proc... diagnose) {
    awaitTrue(what, bound, () -> {
      for (JsonNode s : Smoke.getJson("http://" + at + ":15000/config_dump").path("services")) {
        for (JsonNode e : s.path("endpoints")) {
          if (e.path("identity").asText().equals(identity) && e.path("ports").size() >= minPorts) {
            return true;
          }
        }
      }
      return false;
    }, diagnose);
  }

  /** The leaf certificate the agent at {@code address} holds now. */
  static X509Certificate leafOf(String address) throws Exception {
    String pem = identity(address).path("certificateChain").get(0).asText();
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  /** A certificate's SHA-256 in hex: the {@code Hash} element of an XFCC header. */
  static String sha256Hex(X509Certificate c) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
  }

  /** The {@code key=value} lines of a caller app's answer (the first value of a key wins), and the whole text as {@code raw}. */
  static Map<String, String> fields(String text) {
    Map<String, String> m = new HashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        m.putIfAbsent(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    m.put("raw", text);
    return m;
  }

  /** An agent's {@code identity} section of {@code :15000/config_dump}; missing while its admin port is down. */
  static JsonNode identity(String address) {
    try {
      return Smoke.getJson("http://" + address + ":15000/config_dump").path("identity");
    } catch (AssertionError e) {
      return Smoke.JSON.missingNode();
    }
  }

  /**
   * A host outside the mesh on {@code address}:8080 answering {@code <prefix>xfcc=<the
   * X-Forwarded-Client-Cert it received>}; counts what it served in {@link #nonMeshServed}.
   */
  HttpServer startNonMesh(String address, String prefix) throws IOException {
    nonMesh = HttpServer.create(new InetSocketAddress(address, 8080), 16);
    nonMesh.createContext("/", ex -> {
      nonMeshServed.incrementAndGet();
      byte[] b = (prefix + "xfcc=" + ex.getRequestHeaders().getFirst("X-Forwarded-Client-Cert") + "\n").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(b);
      }
    });
    nonMesh.start();
    return nonMesh;
  }

  void stop() {
    if (nonMesh != null) {
      nonMesh.stop(0);
    }
    // the workloads together, then the control plane (their goodbyes reach it)
    Proc.stopAll(procs.stream().filter(p -> p != controlPlane).toList());
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }
}
