package io.inmesh.bench.measure;

import io.inmesh.bench.load.HttpConnection;
import io.inmesh.bench.mesh.ControlPlaneProcess;
import io.inmesh.bench.mesh.MeshPolicy;
import io.inmesh.bench.mode.AppPair;
import io.inmesh.bench.mode.BenchPaths;
import io.inmesh.bench.mode.JvmSettings;
import io.inmesh.bench.mode.Mode;
import io.inmesh.bench.mode.Topology;
import io.inmesh.bench.proc.Launcher;
import io.inmesh.bench.proc.Proc;
import io.inmesh.bench.sidecar.HaproxyConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The running processes of one mode for one application pair: frontend and backend JVMs, plus the
 * mode's proxies or control plane, each on the mode's own loopback addresses. Started once, warmed
 * up, then measured in interleaved rounds.
 */
public final class ModeSet {
  private static final Duration APP_READY = Duration.ofSeconds(180);

  public final AppPair pair;
  public final Mode mode;
  public final Topology topo;
  private final List<Proc> procs = new ArrayList<>();
  private ControlPlaneProcess.Started controlPlane;
  /** Milliseconds from process start to the first 200, as measured while starting the set. */
  public double backendStartMillis;
  public double frontendStartMillis;
  private TlsConnections tlsConnections = TlsConnections.NONE;
  private Path statsSocket;

  public ModeSet(AppPair pair, Mode mode) {
    this.pair = pair;
    this.mode = mode;
    this.topo = Topology.of(mode);
  }

  public String name() {
    return pair.id + "-" + mode.id;
  }

  public void start(Launcher launcher, BenchPaths paths, Path workDir, HaproxyConfig.Tls tls) throws IOException {
    Path dir = Files.createDirectories(workDir.resolve(name()));
    String controlUrl = null;
    if (mode.meshed()) {
      controlPlane = ControlPlaneProcess.start(launcher, paths, name() + "-control-plane", topo.controlPlane(), dir, MeshPolicy.routeFor(mode), MeshPolicy.otherFilesFor(mode));
      procs.add(controlPlane.proc());
      controlUrl = controlPlane.url();
    }
    Map<String, String> backendEnv = JvmSettings.env(mode, paths, JvmSettings.serviceName(false), topo.backend(), controlUrl, dir.resolve("inmesh-cache-" + JvmSettings.serviceName(false)));
    Map<String, String> frontendEnv = JvmSettings.env(mode, paths, JvmSettings.serviceName(true), topo.frontend(), controlUrl, dir.resolve("inmesh-cache-" + JvmSettings.serviceName(true)));
    if (mode.meshTls()) {
      backendEnv.put("INMESH_TOKEN", ControlPlaneProcess.token(paths, controlPlane, JvmSettings.serviceName(false)));
      frontendEnv.put("INMESH_TOKEN", ControlPlaneProcess.token(paths, controlPlane, JvmSettings.serviceName(true)));
    }

    Proc backend = launcher.start(
        name() + "-backend", Proc.Role.BACKEND,
        JvmSettings.command(paths, List.of(), pair.backendArgs(paths, topo.backend(), Topology.APP_PORT)),
        backendEnv);
    procs.add(backend);
    if (mode.meshTls()) {
      // a STRICT backend answers no plain-text call once its policy arrives: it is up when it accepts
      // connections and its agent is ready; the frontend's first 200 below proves the mTLS hop
      awaitListening(backend, topo.backend(), Topology.APP_PORT, APP_READY);
      backendStartMillis = (System.nanoTime() - backend.startedNanos()) / 1e6;
      awaitAgentReady(backend, topo.backend());
    } else {
      backendStartMillis = awaitFirst200(backend, topo.backend(), Topology.APP_PORT, pair.backendPath, APP_READY);
      if (mode.meshed()) {
        awaitAgentReady(backend, topo.backend());
      }
    }

    String backendUrl;
    if (mode.sidecar != Mode.Sidecar.NONE) {
      HaproxyConfig.Tls legTls = mode.sidecar == Mode.Sidecar.MTLS ? tls : null;
      Path inCfg = dir.resolve("haproxy-inbound.cfg");
      // HAProxy refuses socket paths over 97 characters: a short one in the temp directory
      Path stats = legTls == null ? null : Path.of(System.getProperty("java.io.tmpdir"), "inmesh-bench-" + ProcessHandle.current().pid() + "-" + name() + ".sock");
      Files.writeString(inCfg, HaproxyConfig.inbound(topo.inboundProxy(), Topology.INBOUND_PORT, topo.backend(), Topology.APP_PORT, legTls, stats == null ? null : stats.toString()),
          StandardCharsets.UTF_8);
      if (stats != null) {
        statsSocket = stats;
        tlsConnections = TlsConnections.haproxy(stats);
      }
      Path outCfg = dir.resolve("haproxy-outbound.cfg");
      Files.writeString(outCfg, HaproxyConfig.outbound(topo.outboundProxy(), Topology.OUTBOUND_PORT, topo.inboundProxy(), Topology.INBOUND_PORT, legTls), StandardCharsets.UTF_8);
      Proc in = launcher.start(name() + "-inbound-proxy", Proc.Role.INBOUND_PROXY, List.of("haproxy", "-f", inCfg.toString(), "-db"), Map.of());
      procs.add(in);
      awaitListening(in, topo.inboundProxy(), Topology.INBOUND_PORT);
      Proc out = launcher.start(name() + "-outbound-proxy", Proc.Role.OUTBOUND_PROXY, List.of("haproxy", "-f", outCfg.toString(), "-db"), Map.of());
      procs.add(out);
      awaitListening(out, topo.outboundProxy(), Topology.OUTBOUND_PORT);
      backendUrl = "http://" + topo.outboundProxy() + ":" + Topology.OUTBOUND_PORT;
    } else if (mode.meshed()) {
      backendUrl = "http://" + MeshPolicy.BACKEND_SERVICE;
    } else {
      backendUrl = "http://" + topo.backend() + ":" + Topology.APP_PORT;
    }

    Proc frontend = launcher.start(
        name() + "-frontend", Proc.Role.FRONTEND,
        JvmSettings.command(paths, List.of(), pair.frontendArgs(paths, topo.frontend(), Topology.APP_PORT, backendUrl)),
        frontendEnv);
    procs.add(frontend);
    if (mode.meshed()) {
      awaitAgentReady(frontend, topo.frontend());
      String endpoints = "http://" + topo.controlPlane() + ":" + Topology.CONTROL_PORT + "/v1/endpoints";
      if (!Http.await(Duration.ofSeconds(60), 100, () -> Http.get(endpoints).body().contains(topo.backend()))) {
        throw new IOException(name() + ": the control plane never listed the backend endpoint " + topo.backend() + ":\n" + Http.get(endpoints).body());
      }
    }
    frontendStartMillis = awaitFirst200(frontend, topo.frontend(), Topology.APP_PORT, pair.frontendPath, APP_READY);
    checkAgent(backend, mode.agent);
    checkAgent(frontend, mode.agent);
    verify();
    if (mode.meshTls()) {
      verifyStrict();
      tlsConnections = TlsConnections.inmeshServer(topo.backend());
    }
  }

  /** TLS connections the hop's server side (backend agent or inbound proxy) accepted so far; -1 without TLS on the hop. */
  public long tlsConnections() {
    return tlsConnections.count();
  }

  /**
   * inmesh-mtls must measure mTLS, not plain text that happens to pass: the backend, STRICT, refuses
   * a plain-text call at the connection, so the 200s through the frontend went over mesh mTLS.
   */
  private void verifyStrict() throws IOException {
    int plain;
    try (HttpConnection c = new HttpConnection(topo.backend(), Topology.APP_PORT, pair.backendPath, null, 2000)) {
      plain = c.get();
    } catch (IOException refused) {
      return; // refused or closed at the connection: STRICT holds
    }
    throw new IOException(name() + ": the backend is meant to run STRICT, yet a plain-text call to it answered " + plain
        + "; the mode would not measure mTLS");
  }

  /** One call through the whole chain must come back 200 with the backend's document. */
  public void verify() throws IOException {
    Http.Response r = Http.get(frontendUrl());
    if (r.status() != 200 || !r.body().contains(AppPair.BACKEND_MARKER)) {
      StringBuilder sb = new StringBuilder(name() + ": a call through the frontend answered " + r.status() + " " + r.body());
      for (Proc p : procs) {
        sb.append("\n--- ").append(p).append(" ---\n").append(p.tail(15));
      }
      throw new IOException(sb.toString());
    }
  }

  public String frontendUrl() {
    return "http://" + topo.frontend() + ":" + Topology.APP_PORT + pair.frontendPath;
  }

  /** Processes on the request path (JVMs and proxies), whose CPU is the mode's cost. */
  public List<Proc> dataPath() {
    return procs.stream().filter(p -> p.role().dataPath).toList();
  }

  public List<Proc> jvms() {
    return procs.stream().filter(p -> p.role().isJvm()).toList();
  }

  public List<Proc> all() {
    return List.copyOf(procs);
  }

  public ControlPlaneProcess.Started controlPlane() {
    return controlPlane;
  }

  public boolean allAlive() {
    return procs.stream().allMatch(Proc::alive);
  }

  public void stop() {
    for (int i = procs.size() - 1; i >= 0; i--) {
      procs.get(i).stop();
    }
    if (statsSocket != null) {
      try {
        Files.deleteIfExists(statsSocket);
      } catch (IOException ignored) {
        // a stale socket file in the temp directory harms nothing
      }
    }
  }

  /** Polls every 10 ms; milliseconds from the process's start to its first 200 on {@code path}. */
  public static double awaitFirst200(Proc p, String host, int port, String path, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.alive()) {
        throw new IOException(p + " exited while starting:\n" + p.tail(30));
      }
      try (HttpConnection c = new HttpConnection(host, port, path, null, 2000)) {
        if (c.get() == 200) {
          return (System.nanoTime() - p.startedNanos()) / 1e6;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Http.sleep(10);
    }
    throw new IOException(p + " served no 200 on http://" + host + ":" + port + path + " within " + timeout.toSeconds() + " s:\n" + p.tail(30));
  }

  /**
   * An agent that fails in premain leaves the application running without it, which would be
   * measured as a fast "agent" mode: its log must show the agent started and no failure.
   */
  public static void checkAgent(Proc p, Mode.Agent agent) throws IOException {
    if (agent == Mode.Agent.NONE) {
      return;
    }
    String log = Files.readString(p.log(), StandardCharsets.UTF_8);
    boolean started =
        switch (agent) {
          case OTEL -> log.contains("opentelemetry-javaagent - version");
          // the floor must have woven, or it measured an agent that does nothing
          case FLOOR -> log.contains("[bb-floor] started") && log.contains("[bb-floor] woven") && !log.contains("[bb-floor] could not weave");
          default -> log.contains("[inmesh] inmesh ");
        };
    if (!started || log.contains("failed to start")) {
      throw new IOException(p + ": the " + agent + " agent did not start cleanly:\n" + p.tail(20));
    }
  }

  private static void awaitAgentReady(Proc p, String adminAddress) throws IOException {
    String url = "http://" + adminAddress + ":15020/healthz/ready";
    if (!Http.await(Duration.ofSeconds(90), 50, () -> !p.alive() || Http.status(url) == 200) || !p.alive()) {
      throw new IOException(p + ": inmesh never became ready (" + url + "):\n" + p.tail(30));
    }
  }

  private static void awaitListening(Proc p, String host, int port) throws IOException {
    awaitListening(p, host, port, Duration.ofSeconds(20));
  }

  private static void awaitListening(Proc p, String host, int port, Duration timeout) throws IOException {
    boolean up = Http.await(timeout, 20, () -> {
      if (!p.alive()) {
        return true;
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), 500);
        return true;
      } catch (IOException e) {
        return false;
      }
    });
    if (!up || !p.alive()) {
      throw new IOException(p + " is not listening on " + host + ":" + port + ":\n" + p.tail(30));
    }
  }
}
