package io.inmesh.bench.mode;

import java.util.ArrayList;
import java.util.List;

/** The two frontend → backend application pairs, and how each is started and called. */
public enum AppPair {
  JDK("jdk", "plain JDK com.sun.net.httpserver pair (java.net.http.HttpClient to the backend)", "/usuarios/1", "/usuarios/1", "io.inmesh.bench.apps.JdkBackend"),
  SPRING(
      "spring", "Spring Boot pair from examples/ (pedido-service → usuario-service, client=http-client)", "/pedidos/1?client=http-client", "/usuarios/1",
      "org.springframework.boot.loader.launch.JarLauncher");

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

  AppPair(String id, String description, String frontendPath, String backendPath, String backendMainClass) {
    this.backendMainClass = backendMainClass;
    this.id = id;
    this.description = description;
    this.frontendPath = frontendPath;
    this.backendPath = backendPath;
  }

  /** Arguments after {@code java <jvm flags>} that start the backend. */
  public List<String> backendArgs(BenchPaths paths, String address, int port) {
    return switch (this) {
      case JDK -> List.of(JDK_NODELAY, "-cp", paths.benchJar().toString(), "io.inmesh.bench.apps.JdkBackend", address, Integer.toString(port));
      case SPRING -> List.of("-jar", paths.usuarioJar().toString(), "--server.address=" + address, "--server.port=" + port);
    };
  }

  /** Arguments after {@code java <jvm flags>} that start the frontend, calling {@code backendUrl}. */
  public List<String> frontendArgs(BenchPaths paths, String address, int port, String backendUrl) {
    List<String> a = new ArrayList<>();
    switch (this) {
      case JDK -> a.addAll(List.of(JDK_NODELAY, "-cp", paths.benchJar().toString(), "io.inmesh.bench.apps.JdkFrontend", address, Integer.toString(port), backendUrl));
      case SPRING -> a.addAll(List.of("-jar", paths.pedidoJar().toString(), "--server.address=" + address, "--server.port=" + port, "--usuario.url=" + backendUrl));
    }
    return a;
  }

  public static AppPair byId(String id) {
    for (AppPair p : values()) {
      if (p.id.equals(id)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown pair " + id + " (jdk or spring)");
  }
}
