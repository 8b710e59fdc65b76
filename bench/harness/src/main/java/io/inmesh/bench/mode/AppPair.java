package io.inmesh.bench.mode;

import java.util.List;

/**
 * The frontend → backend application pairs, each a declaration: the two apps ({@link AppLaunch}),
 * the URL path the load calls on the frontend and the backend's own path. A new pair (another
 * client library, another framework) is one more constant (and its jar in {@link BenchPaths#BUILT}).
 */
public enum AppPair {
  JDK(
      "jdk", "plain JDK com.sun.net.httpserver pair (java.net.http.HttpClient to the backend)", "/usuarios/1", "/usuarios/1", "io.inmesh.bench.apps.JdkBackend",
      AppLaunch.classpath(BenchPaths::benchJar, "io.inmesh.bench.apps.JdkBackend", List.of(AppPair.JDK_NODELAY), "{address}", "{port}"),
      AppLaunch.classpath(BenchPaths::benchJar, "io.inmesh.bench.apps.JdkFrontend", List.of(AppPair.JDK_NODELAY), "{address}", "{port}", "{backend}"),
      null),
  SPRING(
      "spring", "Spring Boot pair from examples/ (pedido-service → usuario-service, client=http-client)", "/pedidos/1?client=http-client", "/usuarios/1",
      "org.springframework.boot.loader.launch.JarLauncher",
      AppLaunch.executableJar(BenchPaths::usuarioJar, "--server.address={address}", "--server.port={port}"),
      AppLaunch.executableJar(BenchPaths::pedidoJar, "--server.address={address}", "--server.port={port}", "--usuario.url={backend}"),
      null);

  /** Every response through the frontend carries the backend's document, which holds this. */
  public static final String BACKEND_MARKER = "usuario1@example.com";

  /**
   * The JDK HttpServer leaves Nagle on by default and writes headers and body separately, which
   * meets the client's delayed ACK: 40 ms per response. Every JDK-pair JVM runs with it off, in
   * every mode (Tomcat and HAProxy already set TCP_NODELAY).
   */
  public static final String JDK_NODELAY = "-Dsun.net.httpserver.nodelay=true";

  public final String id;
  public final String description;
  public final String frontendPath;
  public final String backendPath;
  /** The class the backend's JVM starts with (its first load ≈ the end of the agent's premain). */
  public final String backendMainClass;
  public final AppLaunch backend;
  public final AppLaunch frontend;
  /** Non-null while the backend's server cannot terminate mesh mTLS: why (the inmesh-mtls mode is skipped on this pair). */
  public final String serverMtlsMissing;

  AppPair(String id, String description, String frontendPath, String backendPath, String backendMainClass, AppLaunch backend, AppLaunch frontend, String serverMtlsMissing) {
    this.id = id;
    this.description = description;
    this.frontendPath = frontendPath;
    this.backendPath = backendPath;
    this.backendMainClass = backendMainClass;
    this.backend = backend;
    this.frontend = frontend;
    this.serverMtlsMissing = serverMtlsMissing;
  }

  /** Arguments after {@code java <jvm flags>} that start the backend. */
  public List<String> backendArgs(BenchPaths paths, String address, int port) {
    return backend.args(paths, address, port, null);
  }

  /** Arguments after {@code java <jvm flags>} that start the frontend, calling {@code backendUrl}. */
  public List<String> frontendArgs(BenchPaths paths, String address, int port, String backendUrl) {
    return frontend.args(paths, address, port, backendUrl);
  }

  public static AppPair byId(String id) {
    for (AppPair p : values()) {
      if (p.id.equals(id)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown pair " + id + " (one of " + java.util.Arrays.stream(values()).map(p -> p.id).toList() + ")");
  }
}
