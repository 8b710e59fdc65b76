package io.inmesh.bench.jmh;

import io.inmesh.policy.compile.Cluster;
import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.MeshSnapshot;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.compile.ServiceKey;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/** {@code Cluster.pick}: the balance stage run for every attempt (round robin over the endpoints). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BalancerBenchmark {

  @Param({"10"})
  public int endpoints;

  Cluster cluster;
  InetSocketAddress[] addresses;

  @Setup(Level.Trial)
  public void setUp() {
    List<Endpoint> eps = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      eps.add(new Endpoint("10.0.0." + (i + 1), List.of(8080), Map.of(), "a" + i));
    }
    ServiceKey k = new ServiceKey("svc", "default");
    RouteTable t = RouteTable.compile(new MeshSnapshot("b", 1, List.of(), Map.of(k, eps)), Fixtures.CLIENT);
    RouteDecision.Routed r = (RouteDecision.Routed) t.decide(new Fixtures.Request("GET", "svc", -1, "/", null));
    cluster = r.cluster();
    addresses = r.addresses();
  }

  @Benchmark
  public InetSocketAddress pick() {
    return cluster.pick(addresses);
  }

  /** Two threads on one cluster: the shared round-robin counter under contention. */
  @Benchmark
  @Threads(2)
  public InetSocketAddress pickContended() {
    return cluster.pick(addresses);
  }
}
