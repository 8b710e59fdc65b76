package io.inmesh.control;

import io.inmesh.policy.tree.JsonTrees;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A control plane in its own JVM (the test's classpath, {@link ControlPlaneMain}), so a test can
 * pause it with SIGSTOP, bound its heap, overload it and SIGTERM it, as an operator would.
 */
final class ControlPlaneProcess implements AutoCloseable {

  final Process process;
  /** Every line it printed so far (filled as they come). */
  final List<String> log;
  final String base;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  private ControlPlaneProcess(Process process, String base, List<String> log) {
    this.process = process;
    this.base = base;
    this.log = log;
  }

  static ControlPlaneProcess start(Path policies, Path data, String heap, String... flags) throws Exception {
    return start(policies, data, heap, List.of(), flags);
  }

  /** With JVM options ({@code -Dinmesh.control...}) before the main class. */
  static ControlPlaneProcess start(Path policies, Path data, String heap, List<String> jvmOptions, String... flags)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of(
        "-cp", System.getProperty("java.class.path"), ControlPlaneMain.class.getName(),
        "--listen", RunningControlPlane.HOST + ":0", "--policy-dir", policies.toString(), "--data-dir", data.toString()));
    cmd.addAll(List.of(flags));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    CompletableFuture<String> banner = new CompletableFuture<>();
    List<String> log = new CopyOnWriteArrayList<>();
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                  log.add(line);
                  System.out.println("[control] " + line);
                  int at = line.indexOf(" listening on ");
                  if (at >= 0) {
                    banner.complete(line.substring(at + " listening on ".length()).split(",")[0].trim());
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
              banner.completeExceptionally(new IllegalStateException("control plane exited before its banner: " + log));
            },
            "control-plane-log");
    pump.setDaemon(true);
    pump.start();
    return new ControlPlaneProcess(p, banner.get(30, TimeUnit.SECONDS), log);
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  Map<String, Object> json(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = get(path);
    if (r.statusCode() != 200) {
      throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
    }
    return JsonTrees.readObject(r.body().getBytes(StandardCharsets.UTF_8));
  }

  void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + name + " failed");
    }
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      signal("CONT");
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
