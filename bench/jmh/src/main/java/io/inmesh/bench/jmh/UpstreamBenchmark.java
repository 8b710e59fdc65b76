package io.inmesh.bench.jmh;

import io.inmesh.agent.retry.RetryPolicy;
import io.inmesh.agent.upstream.AttemptResult;
import io.inmesh.agent.upstream.ClusterState;
import io.inmesh.agent.upstream.EndpointState;
import io.inmesh.agent.upstream.HashInput;
import io.inmesh.agent.upstream.Permit;
import io.inmesh.agent.upstream.Upstreams;
import io.inmesh.policy.model.ConnectionPoolSettings;
import io.inmesh.policy.model.HttpRetry;
import io.inmesh.policy.model.LoadBalancerSettings;
import io.inmesh.policy.model.LoadBalancerSettings.SimpleLb;
import io.inmesh.policy.model.OutlierDetection;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 * The upstream and retry stages for one attempt that succeeds, as the call lifecycle runs them:
 * pick an endpoint, admit it against the connection pool, release the permit with the outcome
 * (feeding outlier detection), and ask the route's retry policy whether the response is
 * retriable. A DestinationRule with a connection pool and outlier detection is in force, so the
 * counting paths run; nothing trips.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class UpstreamBenchmark {
  private static final Function<String, String> NO_HEADERS = name -> null;

  @Param({"LEAST_REQUEST", "ROUND_ROBIN", "PEAK_EWMA", "RING_HASH"})
  public String balancer;

  @Param({"10"})
  public int endpoints;

  ClusterState cluster;
  InetSocketAddress[] addresses;
  TrafficPolicy policy;
  ConnectionPoolSettings pool;
  RetryPolicy retry;
  HashInput hash;

  @Setup(Level.Trial)
  public void setUp() {
    Upstreams upstreams = new Upstreams(System::nanoTime, ThreadLocalRandom.current());
    cluster = upstreams.cluster("outbound|8080|v1|svc.default.svc.cluster.local");
    addresses = new InetSocketAddress[endpoints];
    for (int i = 0; i < endpoints; i++) {
      addresses[i] = new InetSocketAddress("10.0.0." + (i + 1), 8080);
    }
    LoadBalancerSettings lb =
        balancer.equals("RING_HASH")
            ? new LoadBalancerSettings(
                SimpleLb.UNSPECIFIED,
                new LoadBalancerSettings.ConsistentHash(LoadBalancerSettings.HashKey.HTTP_HEADER_NAME, "x-user", null, null, false, 1024),
                null,
                null)
            : new LoadBalancerSettings(SimpleLb.valueOf(balancer), null, null, null);
    ConnectionPoolSettings.Tcp tcp = ConnectionPoolSettings.Tcp.DEFAULT;
    ConnectionPoolSettings.Http http = ConnectionPoolSettings.Http.DEFAULT;
    pool =
        new ConnectionPoolSettings(
            new ConnectionPoolSettings.Tcp(1000, tcp.connectTimeout(), null, tcp.idleTimeout()),
            new ConnectionPoolSettings.Http(100, 1000, 0, 3, http.idleTimeout(), "DEFAULT", false, http.maxConcurrentStreams()));
    policy = new TrafficPolicy(lb, pool, OutlierDetection.DEFAULT, null, List.of(), null);
    retry = RetryPolicy.of(new HttpRetry(3, Duration.ofSeconds(2), "5xx,reset,connect-failure", null, null, null));
    hash =
        new HashInput() {
          @Override
          public String header(String name) {
            return "user-1234";
          }

          @Override
          public String cookie(String name) {
            return null;
          }

          @Override
          public String queryParameter(String name) {
            return null;
          }

          @Override
          public String sourceIp() {
            return null;
          }
        };
  }

  /** One whole successful attempt through the stages. */
  @Benchmark
  public boolean attempt() {
    EndpointState e = cluster.pick(addresses, policy, hash, List.of());
    Permit permit = cluster.admit(e, pool).granted();
    permit.release(AttemptResult.response(200), 1_000_000);
    return retry.retriable(200, NO_HEADERS);
  }

  /** The same with two threads on one cluster (contended counters). */
  @Benchmark
  @Threads(2)
  public boolean attemptContended() {
    return attempt();
  }

  /** The pick alone. */
  @Benchmark
  public EndpointState pick() {
    return cluster.pick(addresses, policy, hash, List.of());
  }
}
