package io.inmesh.bench.jmh;

import io.inmesh.agent.engine.ActiveSnapshot;
import io.inmesh.agent.engine.MeshEngine;
import io.inmesh.policy.control.SnapshotTarget;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.launcher.Settings;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the mesh adds to a call to a host outside the mesh: {@code MeshEngine#outbound} with a
 * snapshot of {@code services} services applied, for a host it does not know (the call then
 * proceeds untouched). Also a routed call through the engine, for comparison.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class PassthroughBenchmark {

  @Param({"10000"})
  public int services;

  MeshEngine engine;
  Fixtures.Request[] external;
  Fixtures.Request[] mesh;
  int next;

  @Setup(Level.Trial)
  public void setUp() {
    engine = new MeshEngine(Settings.resolve(Map.of("INMESH_SERVICE", "client"), new Properties()));
    SnapshotTarget.Applied r = engine.apply(Fixtures.snapshotJson(services), ActiveSnapshot.Source.CONTROL_PLANE);
    if (!r.accepted()) {
      throw new IllegalStateException(r.error());
    }
    external = new Fixtures.Request[1024];
    mesh = new Fixtures.Request[1024];
    for (int i = 0; i < external.length; i++) {
      external[i] = new Fixtures.Request("GET", "api-" + i + ".example.com", -1, "/v1/items?page=2", null);
      mesh[i] = new Fixtures.Request("GET", Fixtures.service((int) ((i * 7919L) % services)), -1, "/api/items/42", null);
    }
    if (engine.outbound(external[0]) != null || engine.outbound(mesh[0]) == null) {
      throw new IllegalStateException("fixture: external hosts must pass through, mesh hosts route");
    }
  }

  @Benchmark
  public OutboundCall nonMeshHost() {
    return engine.outbound(external[next++ & 1023]);
  }

  @Benchmark
  public Object meshHostRouted() {
    OutboundCall c = engine.outbound(mesh[next++ & 1023]);
    var attempt = c.startAttempt();
    attempt.onEnd();
    return attempt.address();
  }
}
