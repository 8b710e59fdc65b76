package io.inmesh.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.tree.JsonTrees;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * A real control plane on a loopback address (free port), with the HTTP calls tests make against
 * it and its log captured.
 */
final class RunningControlPlane implements AutoCloseable {

  static final String HOST = "127.0.0.9";

  final ControlPlane plane;
  final List<String> log = new CopyOnWriteArrayList<>();
  final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  private RunningControlPlane(ControlPlaneConfig config) throws IOException {
    this.plane =
        ControlPlane.start(
            config,
            new EventLog(
                line -> {
                  log.add(line);
                  System.out.println(line);
                }));
  }

  static ControlPlaneConfig config(Path policyDir, Path dataDir) {
    return new ControlPlaneConfig(
        HOST, 0, policyDir, dataDir, "default", Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ZERO);
  }

  static RunningControlPlane start(ControlPlaneConfig config) throws IOException {
    return new RunningControlPlane(config);
  }

  static RunningControlPlane start(Path policyDir, Path dataDir) throws IOException {
    return start(config(policyDir, dataDir));
  }

  URI uri(String pathAndQuery) {
    return plane.baseUri().resolve(pathAndQuery.startsWith("/") ? pathAndQuery.substring(1) : pathAndQuery);
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build());
  }

  HttpResponse<String> post(String path, String body) {
    return send(
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  HttpResponse<String> delete(String path) {
    return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).DELETE().build());
  }

  /** A long-poll in the background. */
  CompletableFuture<HttpResponse<String>> poll(String version, String wait) {
    String q = "/v1/snapshot?agent=test-agent&service=pedido-service&namespace=default&wait=" + wait
        + (version == null ? "" : "&version=" + version);
    return http.sendAsync(
        HttpRequest.newBuilder(uri(q)).timeout(Duration.ofSeconds(70)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  Map<String, Object> getJson(String path) {
    HttpResponse<String> r = get(path);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r);
  }

  Map<String, Object> snapshot() {
    return getJson("/v1/snapshot");
  }

  String version() {
    return (String) snapshot().get("version");
  }

  void register(String agent, String service, String address, int port, String version) {
    String body =
        """
        {"agent":"%s","service":"%s","namespace":"default","labels":{"app":"%s","version":"%s"},
         "address":"%s","ports":[%d],"serviceAccount":"%s","pid":4242,"host":"test","version":"0.1.0"}
        """
            .formatted(agent, service, service, version, address, port, service);
    HttpResponse<String> r = post("/v1/register", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  static Map<String, Object> json(HttpResponse<String> r) {
    try {
      return JsonTrees.readObject(r.body().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.body(), e);
    }
  }

  /** Waits (bounded) for a condition the control plane reaches on its own schedule. */
  static void eventually(Duration max, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
    throw new AssertionError("timed out after " + max.toMillis() + " ms waiting for " + what);
  }

  /** Waits (bounded) for a log line: the watcher logs a reload on its own thread, after the snapshot is published. */
  void awaitLog(String what, java.util.function.Predicate<String> line) {
    eventually(Duration.ofSeconds(5), "the log to show " + what, () -> log.stream().anyMatch(line));
  }

  HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(request.method() + " " + request.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  @Override
  public void close() {
    plane.close();
  }
}
