package io.inmesh.bench.mesh;

import io.inmesh.bench.measure.Http;
import io.inmesh.bench.mode.BenchPaths;
import io.inmesh.bench.mode.JvmSettings;
import io.inmesh.bench.mode.Topology;
import io.inmesh.bench.proc.Launcher;
import io.inmesh.bench.proc.Proc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Starts inmesh's control plane on its own address with a policy folder holding {@link MeshPolicy}. */
public final class ControlPlaneProcess {
  private ControlPlaneProcess() {}

  public record Started(Proc proc, String address, Path policyFile, Path dataDir) {
    public String url() {
      return "http://" + address + ":" + Topology.CONTROL_PORT;
    }
  }

  /**
   * A join token (INMESH_TOKEN) for {@code serviceAccount} in namespace {@code default}, made by
   * the control plane's own {@code token create} against its data directory, as an operator would.
   */
  public static String token(BenchPaths paths, Started cp, String serviceAccount) throws IOException {
    List<String> cmd = List.of(paths.java().toString(), "-jar", paths.controlPlaneJar().toString(), "token", "create",
        "--data-dir", cp.dataDir().toString(), "--namespace", "default", "--service-account", serviceAccount, "--ttl", "24h");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    try {
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("`" + String.join(" ", cmd) + "` did not finish within 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making a join token", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    if (p.exitValue() != 0 || out.isEmpty() || out.contains("\n")) {
      throw new IOException("`" + String.join(" ", cmd) + "` exited " + p.exitValue() + ":\n" + out + "\n" + err);
    }
    return out;
  }

  public static Started start(Launcher launcher, BenchPaths paths, String name, String address, Path workDir) throws IOException {
    return start(launcher, paths, name, address, workDir, MeshPolicy.virtualService(0), Map.of());
  }

  /** With {@code routing} as the VirtualService file and {@code otherFiles} (file name → YAML) beside it. */
  public static Started start(Launcher launcher, BenchPaths paths, String name, String address, Path workDir, String routing, Map<String, String> otherFiles) throws IOException {
    Path policies = Files.createDirectories(workDir.resolve("policies"));
    Path data = Files.createDirectories(workDir.resolve("control-data"));
    Path policyFile = policies.resolve(MeshPolicy.FILE_NAME);
    for (Map.Entry<String, String> f : otherFiles.entrySet()) {
      MeshPolicy.writeAtomically(policies.resolve(f.getKey()), f.getValue());
    }
    MeshPolicy.writeAtomically(policyFile, routing);
    List<String> cmd = new ArrayList<>();
    cmd.add(paths.java().toString());
    cmd.addAll(JvmSettings.CONTROL_PLANE_FLAGS);
    cmd.addAll(List.of("-jar", paths.controlPlaneJar().toString(), "--listen", address + ":" + Topology.CONTROL_PORT, "--policy-dir", policies.toString(), "--data-dir", data.toString()));
    Proc p = launcher.start(name, Proc.Role.CONTROL_PLANE, cmd, Map.of());
    String health = "http://" + address + ":" + Topology.CONTROL_PORT + "/healthz";
    if (!Http.await(Duration.ofSeconds(60), 50, () -> !p.alive() || Http.status(health) == 200) || !p.alive()) {
      throw new IOException("control plane " + address + " did not become healthy:\n" + p.tail(30));
    }
    return new Started(p, address, policyFile, data);
  }
}
