package io.inmesh.agent.upstream;

import static io.inmesh.agent.upstream.Fixtures.CHI2_CRITICAL_3DF;
import static io.inmesh.agent.upstream.Fixtures.chiSquare;
import static io.inmesh.agent.upstream.Fixtures.endpoints;
import static io.inmesh.agent.upstream.Fixtures.lb;
import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.model.ConnectionPoolSettings;
import io.inmesh.policy.model.LoadBalancerSettings.SimpleLb;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The simple balancers. Istio's LoadBalancerSettings reference
 * (https://istio.io/latest/docs/reference/config/networking/destination-rule/#LoadBalancerSettings-SimpleLB):
 * UNSPECIFIED means LEAST_REQUEST, LEAST_CONN is a deprecated alias of it.
 */
class BalancerTest {
  private final Fixtures f = new Fixtures();

  /** Sequential calls: each pick's attempt ends before the next starts. */
  private Map<InetSocketAddress, Integer> sequential(TrafficPolicy policy, InetSocketAddress[] eps, int calls) {
    return sequential(f.upstreams.cluster("outbound|8080||svc.default.svc.cluster.local"), policy, eps, calls);
  }

  private static Map<InetSocketAddress, Integer> sequential(ClusterState c, TrafficPolicy policy, InetSocketAddress[] eps, int calls) {
    Map<InetSocketAddress, Integer> counts = new HashMap<>();
    for (int i = 0; i < calls; i++) {
      EndpointState e = Fixtures.attempt(c, eps, policy, 200);
      counts.merge(e.address(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void roundRobinGivesEachOfNEndpointsOneNthOfSequentialCallsPlusOrMinusOne() {
    InetSocketAddress[] eps = endpoints(3);
    Map<InetSocketAddress, Integer> counts = sequential(lb(SimpleLb.ROUND_ROBIN), eps, 100);
    assertThat(counts).hasSize(3);
    assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(33, 34));
  }

  @Test
  void randomPassesChiSquareForUniformityOver1000Picks() {
    Map<InetSocketAddress, Integer> counts = sequential(lb(SimpleLb.RANDOM), endpoints(4), 1000);
    assertThat(chiSquare(counts, 4, 1000)).isLessThan(CHI2_CRITICAL_3DF);
  }

  @Test
  void leastRequestPassesChiSquareForUniformityOver1000SequentialPicks() {
    Map<InetSocketAddress, Integer> counts = sequential(lb(SimpleLb.LEAST_REQUEST), endpoints(4), 1000);
    assertThat(chiSquare(counts, 4, 1000)).isLessThan(CHI2_CRITICAL_3DF);
  }

  @Test
  void istioDefaultUnspecifiedIsLeastRequestAndUniformToo() {
    Map<InetSocketAddress, Integer> counts = sequential(TrafficPolicy.NONE, endpoints(4), 1000);
    assertThat(chiSquare(counts, 4, 1000)).isLessThan(CHI2_CRITICAL_3DF);
  }

  @Test
  void theUniformityTestFailsABiasedPicker() {
    // A picker that favours the first endpoint a little (40% instead of 25%) must not pass.
    SplittableRandom r = new SplittableRandom(42);
    Map<Integer, Integer> counts = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      int pick = r.nextDouble() < 0.2 ? 0 : r.nextInt(4);
      counts.merge(pick, 1, Integer::sum);
    }
    assertThat(chiSquare(counts, 4, 1000)).isGreaterThan(CHI2_CRITICAL_3DF);
    // And one that never picks the last endpoint.
    Map<Integer, Integer> three = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      three.merge(r.nextInt(3), 1, Integer::sum);
    }
    assertThat(chiSquare(three, 4, 1000)).isGreaterThan(CHI2_CRITICAL_3DF);
  }

  @Test
  void powerOfTwoChoicesPrefersTheLessLoadedEndpointWithEnvoysDrawsWithReplacement() {
    // Envoy's LeastRequestLoadBalancer (unweightedHostPickNChoices, choice_count 2) draws two hosts
    // with replacement: the busy endpoint wins only when both draws name it, 1 pick in 9 of 3 endpoints
    InetSocketAddress[] eps = endpoints(3);
    ClusterState c = f.upstreams.cluster("c");
    TrafficPolicy p = lb(SimpleLb.LEAST_REQUEST);
    EndpointState busy = c.endpoint(eps[0]);
    c.pick(eps, p, HashInput.NONE, List.of()); // binds the states to this addresses array
    for (int i = 0; i < 5; i++) {
      c.admit(busy, ConnectionPoolSettings.DEFAULT);
    }
    Map<InetSocketAddress, Integer> counts = sequential(c, p, eps, 900);
    // binomial(900, 1/9): mean 100, σ ≈ 9.4; ±5σ
    assertThat(counts.getOrDefault(eps[0], 0)).isBetween(53, 147);
    assertThat(counts.get(eps[1])).isGreaterThan(250);
    assertThat(counts.get(eps[2])).isGreaterThan(250);
  }

  @Test
  void leastConnIsLeastRequest() {
    InetSocketAddress[] eps = endpoints(2);
    ClusterState c = f.upstreams.cluster("c");
    TrafficPolicy p = lb(SimpleLb.LEAST_CONN);
    EndpointState first = c.pick(eps, p, HashInput.NONE, List.of());
    c.admit(first, ConnectionPoolSettings.DEFAULT); // stays in flight
    int busyPicked = 0;
    for (int i = 0; i < 400; i++) {
      if (c.pick(eps, p, HashInput.NONE, List.of()) == first) {
        busyPicked++;
      }
    }
    // the busy one wins only when both draws name it: 1 in 4 (binomial(400, 1/4): σ ≈ 8.7; ±5σ)
    assertThat(busyPicked).isBetween(57, 143);
  }

  @Test
  void peakEwmaPrefersTheFasterEndpointAndStartsNewOnesAtADefaultRttNotZero() {
    InetSocketAddress[] two = endpoints(2);
    ClusterState c = f.upstreams.cluster("c");
    TrafficPolicy p = lb(SimpleLb.PEAK_EWMA);
    c.pick(two, p, HashInput.NONE, List.of());
    EndpointState slow = c.endpoint(two[0]);
    EndpointState fast = c.endpoint(two[1]);
    c.admit(slow, ConnectionPoolSettings.DEFAULT).granted().release(AttemptResult.response(200), Duration.ofMillis(100).toNanos());
    c.admit(fast, ConnectionPoolSettings.DEFAULT).granted().release(AttemptResult.response(200), Duration.ofMillis(5).toNanos());
    for (int i = 0; i < 20; i++) {
      assertThat(c.pick(two, p, HashInput.NONE, List.of())).isSameAs(fast);
    }
    // A new endpoint costs the default 30 ms: cheaper than the 100 ms one, dearer than the 5 ms one.
    InetSocketAddress[] withNew = {two[0], new InetSocketAddress("127.0.0.99", 8080)};
    assertThat(c.pick(withNew, p, HashInput.NONE, List.of()).address()).isEqualTo(withNew[1]);
    InetSocketAddress[] fastAndNew = {two[1], new InetSocketAddress("127.0.0.99", 8080)};
    assertThat(c.pick(fastAndNew, p, HashInput.NONE, List.of())).isSameAs(fast);
  }

  @Test
  void peakEwmaWeighsActiveRequests() {
    InetSocketAddress[] two = endpoints(2);
    ClusterState c = f.upstreams.cluster("c");
    TrafficPolicy p = lb(SimpleLb.PEAK_EWMA);
    c.pick(two, p, HashInput.NONE, List.of());
    EndpointState a = c.endpoint(two[0]);
    EndpointState b = c.endpoint(two[1]);
    c.admit(a, ConnectionPoolSettings.DEFAULT).granted().release(AttemptResult.response(200), Duration.ofMillis(10).toNanos());
    c.admit(b, ConnectionPoolSettings.DEFAULT).granted().release(AttemptResult.response(200), Duration.ofMillis(15).toNanos());
    // a is faster, but 10 ms × (1 + 1) in flight = 20 > 15 ms × 1.
    c.admit(a, ConnectionPoolSettings.DEFAULT);
    assertThat(c.pick(two, p, HashInput.NONE, List.of())).isSameAs(b);
  }

  @Test
  void peakEwmaTakesAPeakAtOnceAndDecaysLowerSamplesWithTime() {
    EndpointState e = new EndpointState(new InetSocketAddress("127.0.0.1", 1), 0);
    e.observeRtt(10_000_000, 0);
    e.observeRtt(50_000_000, 1_000_000); // a peak replaces the estimate
    assertThat(e.rttNanos(1_000_000)).isEqualTo(50_000_000, org.assertj.core.data.Offset.offset(1.0));
    e.observeRtt(10_000_000, 1_000_000 + 10_000_000_000L); // one decay period later: e^-1 weight left
    double expected = 50_000_000 * Math.exp(-1) + 10_000_000 * (1 - Math.exp(-1));
    assertThat(e.rttNanos(1_000_000 + 10_000_000_000L)).isEqualTo(expected, org.assertj.core.data.Offset.offset(1.0));
  }

  @Test
  void stateSurvivesANewAddressesArrayWithTheSameEndpoints() {
    InetSocketAddress[] first = endpoints(3);
    ClusterState c = f.upstreams.cluster("outbound|||svc");
    TrafficPolicy rr = lb(SimpleLb.ROUND_ROBIN);
    EndpointState a = c.pick(first, rr, HashInput.NONE, List.of());
    c.admit(a, ConnectionPoolSettings.DEFAULT); // one request in flight on a
    // A new snapshot: new array, new address objects, same endpoints, another order.
    InetSocketAddress[] second = {endpoints(3)[2], endpoints(3)[0], endpoints(3)[1]};
    EndpointState again = f.upstreams.cluster("outbound|||svc").endpoint(a.address());
    assertThat(again).isSameAs(a);
    assertThat(again.activeRequests()).isEqualTo(1);
    // The round-robin position carries on: the next three picks cover the three endpoints.
    List<InetSocketAddress> next = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      next.add(c.pick(second, rr, HashInput.NONE, List.of()).address());
    }
    assertThat(next).containsExactlyInAnyOrder(second);
    assertThat(c.pick(second, rr, HashInput.NONE, List.of()).address()).isEqualTo(next.get(0));
  }

  @Test
  void aRetryAvoidsEndpointsEarlierAttemptsUsedWhenAnotherIsAvailable() {
    InetSocketAddress[] eps = endpoints(3);
    ClusterState c = f.upstreams.cluster("c");
    for (SimpleLb lb : List.of(SimpleLb.ROUND_ROBIN, SimpleLb.RANDOM, SimpleLb.LEAST_REQUEST, SimpleLb.PEAK_EWMA)) {
      for (int i = 0; i < 30; i++) {
        EndpointState e = c.pick(eps, lb(lb), HashInput.NONE, List.of(eps[0], eps[2]));
        assertThat(e.address()).as(lb.name()).isEqualTo(eps[1]);
      }
    }
    // Every endpoint already used: any of them rather than none.
    assertThat(c.pick(eps, lb(SimpleLb.ROUND_ROBIN), HashInput.NONE, List.of(eps))).isNotNull();
  }

  @Test
  void noAddressesGiveNull() {
    assertThat(f.upstreams.cluster("c").pick(new InetSocketAddress[0], TrafficPolicy.NONE, HashInput.NONE, List.of())).isNull();
  }

  @Test
  void describeShowsClustersAndEndpoints() {
    InetSocketAddress[] eps = endpoints(2);
    ClusterState c = f.upstreams.cluster("outbound|||svc");
    Fixtures.attempt(c, eps, TrafficPolicy.NONE, 200);
    Map<String, Object> d = f.upstreams.describe();
    assertThat(d.toString()).contains("outbound|||svc").contains("127.0.0.10:8080").contains("LEAST_REQUEST");
  }
}
