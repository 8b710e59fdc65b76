package io.inmesh.bench.jmh;

import io.inmesh.agent.upstream.EndpointState;
import io.inmesh.agent.upstream.HashInput;
import io.inmesh.agent.upstream.Upstreams;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RouteTable;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
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
 * The per-call route decision (host lookup + rule scan + weighted split) and the first attempt's
 * endpoint pick as the call lifecycle takes it ({@code ClusterState.pick} of the agent's upstream
 * stage: runtime state per cluster, Istio's default LEAST_REQUEST balancer, outlier ejection
 * checked), with 10,000 hosts loaded, in SampleTime mode so the percentiles are reported. Target:
 * p50 < 1 µs. Requests cycle over 1,024 different hosts so the lookup is not one hot cache line.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class RouteDecisionBenchmark {

  @Param({"10000"})
  public int services;

  RouteTable table;
  Upstreams upstreams;
  Fixtures.Request[] split;
  Fixtures.Request[] canary;
  Fixtures.Request[] miss;
  int next;

  @Setup(Level.Trial)
  public void setUp() {
    table = RouteTable.compile(Fixtures.snapshot(services), Fixtures.CLIENT);
    upstreams = new Upstreams(System::nanoTime, ThreadLocalRandom.current());
    split = new Fixtures.Request[1024];
    canary = new Fixtures.Request[1024];
    miss = new Fixtures.Request[1024];
    for (int i = 0; i < split.length; i++) {
      String host = Fixtures.service((int) ((i * 7919L) % services));
      split[i] = new Fixtures.Request("GET", host, -1, "/api/items/42?x=1", null);
      canary[i] = new Fixtures.Request("GET", host, -1, "/api/items/42", "true");
      miss[i] = new Fixtures.Request("GET", "api-" + i + ".example.com", -1, "/", null);
    }
    if (!(table.decide(split[0]) instanceof RouteDecision.Routed)) {
      throw new IllegalStateException("fixture does not route");
    }
  }

  /** Second rule: the first (header + prefix) is evaluated and fails, then a 90/10 split. */
  @Benchmark
  public Object decideSplit() {
    return pick(table.decide(split[next++ & 1023]));
  }

  /** First rule matches (header and uri prefix). */
  @Benchmark
  public Object decideCanary() {
    return pick(table.decide(canary[next++ & 1023]));
  }

  /** The endpoint pick the lifecycle makes for a routed decision's first attempt (MeshCall.begin). */
  private EndpointState pick(RouteDecision d) {
    RouteDecision.Routed r = (RouteDecision.Routed) d;
    return upstreams.cluster(r.cluster().name()).pick(r.addresses(), r.trafficPolicy(), HashInput.NONE, List.of());
  }

  /** A host that is not in the mesh: one hash lookup that misses. */
  @Benchmark
  public Object lookupMiss() {
    return table.decide(miss[next++ & 1023]);
  }
}
