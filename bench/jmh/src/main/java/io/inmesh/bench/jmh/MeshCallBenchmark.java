package io.inmesh.bench.jmh;

import io.inmesh.agent.engine.ActiveSnapshot;
import io.inmesh.agent.engine.MeshEngine;
import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.launcher.Settings;
import io.inmesh.policy.control.SnapshotTarget;
import io.inmesh.policy.identity.WorkloadIdentity;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 13, item 3: inmesh's own per-request work as the agent runs it, through the engine the
 * adapters call ({@code MeshEngine}, with its secure stage installed over a workload identity as
 * {@code MeshAgent} always does): the outbound decision {@code outbound} → {@code startAttempt} →
 * {@code onResponse(200)} → {@code onEnd} for a routed mesh host on a route with timeout and
 * retries (none triggered); the inbound stage of a plain server ({@code inbound} →
 * {@code inboundResponse} → {@code inboundEnd}, plus the per-connection-exchange
 * {@code inboundTls}); and both together, the way a meshed frontend serves one request that makes one
 * mesh call. 10,000 services loaded; calls cycle over 1,024 hosts. Average time per operation
 * (allocation: run with {@code -prof gc}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class MeshCallBenchmark {
  private static final Function<String, String> NO_HEADERS = name -> null;
  private static final HeaderSink NO_SINK = new HeaderSink() {
    @Override
    public void set(String name, String value) {}

    @Override
    public void add(String name, String value) {}

    @Override
    public void remove(String name) {}
  };
  private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 8080);
  private static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 40000);

  MeshEngine engine;
  Fixtures.Request[] mesh;
  InboundRequest inbound;
  int next;

  @Setup(Level.Trial)
  public void setUp() {
    Settings settings = Settings.resolve(Map.of("INMESH_SERVICE", "client"), new Properties());
    engine = new MeshEngine(settings);
    WorkloadIdentity identity = new WorkloadIdentity(settings);
    engine.requireIdentity(identity);
    engine.installSecurity(identity);
    SnapshotTarget.Applied r = engine.apply(Fixtures.snapshotJson(10_000), ActiveSnapshot.Source.CONTROL_PLANE);
    if (!r.accepted()) {
      throw new IllegalStateException(r.error());
    }
    mesh = new Fixtures.Request[1024];
    for (int i = 0; i < mesh.length; i++) {
      mesh[i] = new Fixtures.Request("GET", Fixtures.service((int) ((i * 7919L) % 10_000)), -1, "/api/items/42", null);
    }
    inbound = new Plain();
    if (engine.outbound(mesh[0]) == null) {
      throw new IllegalStateException("fixture: mesh hosts must route");
    }
  }

  @TearDown
  public void tearDown() {
    engine.responder().close();
  }

  @Benchmark
  public long outboundWholeCall() {
    return call(mesh[next++ & 1023]);
  }

  @Benchmark
  public int inboundPlain() {
    int mode = engine.inboundTls(LOCAL);
    engine.inbound(inbound);
    engine.inboundResponse(NO_SINK);
    engine.inboundEnd();
    return mode;
  }

  @Benchmark
  public long servedRequestWithOneMeshCall() {
    int mode = engine.inboundTls(LOCAL);
    engine.inbound(inbound);
    long v = call(mesh[next++ & 1023]);
    engine.inboundResponse(NO_SINK);
    engine.inboundEnd();
    return v + mode;
  }

  private long call(Fixtures.Request request) {
    OutboundCall c = engine.outbound(request);
    Attempt a = c.startAttempt();
    int verdict = a.onResponse(200, NO_HEADERS);
    a.onEnd();
    return verdict + a.deadlineNanos();
  }

  /** A plain-text inbound request as the JDK server adapter presents it. */
  static final class Plain implements InboundRequest {
    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String path() {
      return "/usuarios/1";
    }

    @Override
    public String header(String name) {
      return null;
    }

    @Override
    public InetSocketAddress localAddress() {
      return LOCAL;
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return REMOTE;
    }

    @Override
    public Certificate[] peerCertificates() {
      return null;
    }
  }
}
