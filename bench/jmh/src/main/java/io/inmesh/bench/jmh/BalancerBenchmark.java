package io.inmesh.bench.jmh;

import io.inmesh.agent.upstream.ClusterState;
import io.inmesh.agent.upstream.EndpointState;
import io.inmesh.agent.upstream.HashInput;
import io.inmesh.agent.upstream.Upstreams;
import io.inmesh.policy.model.LoadBalancerSettings;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code ClusterState.pick}: the balance stage the call lifecycle runs for every attempt (runtime
 * state per cluster, outlier ejection checked), round robin over the endpoints, alone; see
 * {@link UpstreamBenchmark} for the whole attempt under each balancer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BalancerBenchmark {

  @Param({"10"})
  public int endpoints;

  ClusterState cluster;
  InetSocketAddress[] addresses;
  TrafficPolicy policy;

  @Setup(Level.Trial)
  public void setUp() {
    cluster = new Upstreams(System::nanoTime, ThreadLocalRandom.current()).cluster("outbound|8080||svc.default.svc.cluster.local");
    addresses = new InetSocketAddress[endpoints];
    for (int i = 0; i < endpoints; i++) {
      addresses[i] = new InetSocketAddress("10.0.0." + (i + 1), 8080);
    }
    policy =
        new TrafficPolicy(new LoadBalancerSettings(LoadBalancerSettings.SimpleLb.ROUND_ROBIN, null, null, null), null, null, null, List.of(), null);
  }

  @Benchmark
  public EndpointState pick() {
    return cluster.pick(addresses, policy, HashInput.NONE, List.of());
  }

  /** Two threads on one cluster: the shared round-robin position under contention. */
  @Benchmark
  @Threads(2)
  public EndpointState pickContended() {
    return cluster.pick(addresses, policy, HashInput.NONE, List.of());
  }
}
