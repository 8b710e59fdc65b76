package io.inmesh.bench.mode;

import java.util.ArrayList;
import java.util.List;

/** The two frontend → backend application pairs, and how each is started and called. */
public enum AppPair {
  JDK("jdk", "plain JDK com.sun.net.httpserver pair (java.net.http.HttpClient to the backend)", "/usuarios/1", "/usuarios/1"),
  SPRING(
      "spring", "Spring Boot pair from examples/ (pedido-service → usuario-service, client=http-client)", "/pedidos/1?client=http-client", "/usuarios/1");

  /** Every response through the frontend carries the backend's document, which holds this. */
  public static final String BACKEND_MARKER = "usuario1@example.com";

  public final String id;
  public final String description;
  public final String frontendPath;
  public final String backendPath;

  AppPair(String id, String description, String frontendPath, String backendPath) {
    this.id = id;
    this.description = description;
    this.frontendPath = frontendPath;
    this.backendPath = backendPath;
  }

  /** Arguments after {@code java <jvm flags>} that start the backend. */
  public List<String> backendArgs(BenchPaths paths, String address, int port) {
    return switch (this) {
      case JDK -> List.of("-cp", paths.benchJar().toString(), "io.inmesh.bench.apps.JdkBackend", address, Integer.toString(port));
      case SPRING -> List.of("-jar", paths.usuarioJar().toString(), "--server.address=" + address, "--server.port=" + port);
    };
  }

  /** Arguments after {@code java <jvm flags>} that start the frontend, calling {@code backendUrl}. */
  public List<String> frontendArgs(BenchPaths paths, String address, int port, String backendUrl) {
    List<String> a = new ArrayList<>();
    switch (this) {
      case JDK -> a.addAll(List.of("-cp", paths.benchJar().toString(), "io.inmesh.bench.apps.JdkFrontend", address, Integer.toString(port), backendUrl));
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
