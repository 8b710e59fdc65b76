package io.inmesh.agent.upstream;

import static io.inmesh.agent.upstream.Fixtures.consecutive5xx;
import static io.inmesh.agent.upstream.Fixtures.endOn;
import static io.inmesh.agent.upstream.Fixtures.endpoints;
import static io.inmesh.agent.upstream.Fixtures.failed;
import static io.inmesh.agent.upstream.Fixtures.outlier;
import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.agent.retry.FailureKind;
import io.inmesh.policy.model.LoadBalancerSettings.SimpleLb;
import io.inmesh.policy.model.OutlierDetection;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Outlier detection as Istio documents it
 * (https://istio.io/latest/docs/reference/config/networking/destination-rule/#OutlierDetection)
 * and Envoy implements it (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier):
 * consecutive errors eject, for baseEjectionTime × times ejected, capped at 300 s; at most
 * maxEjectionPercent ejected but always at least one; below minHealthPercent healthy, panic.
 */
class OutlierDetectionTest {
  private static final Duration BASE = Duration.ofSeconds(30);
  private final Fixtures f = new Fixtures();
  private final InetSocketAddress[] eps = endpoints(2);
  private final ClusterState c = f.upstreams.cluster("c");

  private EndpointState bind(TrafficPolicy p) {
    c.pick(eps, p, HashInput.NONE, List.of());
    return c.endpoint(eps[0]);
  }

  private Set<EndpointState> picks(TrafficPolicy p, int n) {
    Set<EndpointState> s = new HashSet<>();
    for (int i = 0; i < n; i++) {
      EndpointState e = c.pick(eps, p, HashInput.NONE, List.of());
      if (e != null) {
        s.add(e);
      }
    }
    return s;
  }

  @Test
  void ejectsAfterConsecutive5xxErrorsAndSkipsTheEjectedEndpoint() {
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(3, BASE, 100, 0));
    EndpointState bad = bind(p);
    endOn(c, bad, AttemptResult.response(500));
    endOn(c, bad, AttemptResult.response(503));
    assertThat(bad.ejectedAt(f.clock.get())).isFalse();
    assertThat(picks(p, 10)).hasSize(2);
    endOn(c, bad, AttemptResult.response(502));
    assertThat(bad.ejectedAt(f.clock.get())).isTrue();
    assertThat(picks(p, 10)).containsExactly(c.endpoint(eps[1]));
    assertThat(c.ejections()).isEqualTo(1);
  }

  @Test
  void aSuccessResetsTheCount() {
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(3, BASE, 100, 0));
    EndpointState e = bind(p);
    for (int i = 0; i < 10; i++) {
      endOn(c, e, AttemptResult.response(500));
      endOn(c, e, AttemptResult.response(500));
      endOn(c, e, AttemptResult.response(200));
    }
    assertThat(e.ejectedAt(f.clock.get())).isFalse();
  }

  @Test
  void ejectionTimeIsBaseTimesEjectionsCappedAt300Seconds() {
    Duration base = Duration.ofSeconds(100);
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, base, 100, 0));
    EndpointState e = bind(p);
    long[] expectedSeconds = {100, 200, 300, 300};
    for (long seconds : expectedSeconds) {
      endOn(c, e, AttemptResult.response(500));
      long start = f.clock.get();
      assertThat((e.ejectedUntilNanos - start) / 1_000_000_000L).isEqualTo(seconds);
      // Still ejected a nanosecond before the end, back at the end.
      f.clock.set(e.ejectedUntilNanos - 1);
      assertThat(e.ejectedAt(f.clock.get())).isTrue();
      f.clock.set(e.ejectedUntilNanos);
      assertThat(e.ejectedAt(f.clock.get())).isFalse();
      assertThat(picks(p, 10)).contains(e);
    }
  }

  @Test
  void aBaseEjectionTimeLongerThan300SecondsIsNotCut() {
    Duration base = Duration.ofSeconds(400);
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, base, 100, 0));
    EndpointState e = bind(p);
    endOn(c, e, AttemptResult.response(500));
    f.clock.set(e.ejectedUntilNanos);
    endOn(c, e, AttemptResult.response(500));
    assertThat((e.ejectedUntilNanos - f.clock.get()) / 1_000_000_000L).isEqualTo(400);
  }

  @Test
  void theEjectionMultiplierDecaysWhileTheEndpointStaysHealthy() {
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, BASE, 100, 0)); // interval 10 s
    EndpointState e = bind(p);
    endOn(c, e, AttemptResult.response(500)); // 30 s
    f.clock.set(e.ejectedUntilNanos);
    endOn(c, e, AttemptResult.response(500)); // 60 s: ejected twice in a row
    assertThat((e.ejectedUntilNanos - f.clock.get()) / 1_000_000_000L).isEqualTo(60);
    f.clock.set(e.ejectedUntilNanos);
    f.advance(Duration.ofSeconds(10)); // healthy for one interval: multiplier 2 → 1
    endOn(c, e, AttemptResult.response(500)); // multiplier 2 again → 60 s, not 90 s
    assertThat((e.ejectedUntilNanos - f.clock.get()) / 1_000_000_000L).isEqualTo(60);
    f.clock.set(e.ejectedUntilNanos);
    f.advance(Duration.ofMinutes(10)); // healthy long enough: back to the base time
    endOn(c, e, AttemptResult.response(500));
    assertThat((e.ejectedUntilNanos - f.clock.get()) / 1_000_000_000L).isEqualTo(30);
  }

  @Test
  void maxEjectionPercentLimitsEjectionsButAlwaysAllowsOne() {
    InetSocketAddress[] four = endpoints(4);
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, BASE, 10, 0)); // Istio's default 10%
    c.pick(four, p, HashInput.NONE, List.of());
    for (InetSocketAddress a : four) {
      endOn(c, c.endpoint(a), AttemptResult.response(500));
    }
    long ejected = java.util.Arrays.stream(four).filter(a -> c.endpoint(a).ejectedAt(f.clock.get())).count();
    assertThat(ejected).as("10% of 4 rounds to none, but Envoy always ejects one").isEqualTo(1);

    ClusterState half = f.upstreams.cluster("half");
    TrafficPolicy p50 = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, BASE, 50, 0));
    half.pick(four, p50, HashInput.NONE, List.of());
    for (InetSocketAddress a : four) {
      endOn(half, half.endpoint(a), AttemptResult.response(500));
    }
    assertThat(java.util.Arrays.stream(four).filter(a -> half.endpoint(a).ejectedAt(f.clock.get())).count()).isEqualTo(2);
  }

  @Test
  void belowMinHealthPercentTheClusterPanicsAndBalancesOverEveryEndpoint() {
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, BASE, 100, 60));
    EndpointState bad = bind(p);
    endOn(c, bad, AttemptResult.response(500));
    assertThat(bad.ejectedAt(f.clock.get())).isTrue();
    // 1 of 2 healthy = 50% < 60%: panic mode ignores ejections.
    assertThat(picks(p, 10)).hasSize(2);

    TrafficPolicy p40 = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, BASE, 100, 40));
    assertThat(picks(p40, 10)).containsExactly(c.endpoint(eps[1]));
  }

  @Test
  void withEveryEndpointEjectedAndNoPanicThereIsNoHealthyUpstream() {
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, BASE, 100, 0));
    bind(p);
    endOn(c, c.endpoint(eps[0]), AttemptResult.response(500));
    endOn(c, c.endpoint(eps[1]), AttemptResult.response(500));
    assertThat(c.pick(eps, p, HashInput.NONE, List.of())).isNull();
    f.advance(BASE);
    assertThat(c.pick(eps, p, HashInput.NONE, List.of())).isNotNull();
  }

  @Test
  void gatewayErrorsCountOnlyFiveHundredTwoToFour() {
    OutlierDetection od = new OutlierDetection(0, 2, 5, false, Duration.ofSeconds(10), BASE, 100, 0, List.of());
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, od);
    EndpointState e = bind(p);
    endOn(c, e, AttemptResult.response(502));
    endOn(c, e, AttemptResult.response(500)); // not a gateway error: resets the gateway count
    endOn(c, e, AttemptResult.response(503));
    assertThat(e.ejectedAt(f.clock.get())).isFalse();
    endOn(c, e, AttemptResult.response(504));
    assertThat(e.ejectedAt(f.clock.get())).isTrue();
  }

  @Test
  void localOriginFailuresCountAs5xxUnlessSplit() {
    TrafficPolicy merged = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(2, BASE, 100, 0));
    EndpointState e = bind(merged);
    endOn(c, e, failed(FailureKind.CONNECT_FAILURE));
    endOn(c, e, failed(FailureKind.RESET));
    assertThat(e.ejectedAt(f.clock.get())).isTrue();

    ClusterState split = f.upstreams.cluster("split");
    OutlierDetection od = new OutlierDetection(5, 0, 2, true, Duration.ofSeconds(10), BASE, 100, 0, List.of());
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, od);
    split.pick(eps, p, HashInput.NONE, List.of());
    EndpointState s = split.endpoint(eps[0]);
    endOn(split, s, failed(FailureKind.CONNECT_FAILURE));
    endOn(split, s, AttemptResult.response(500)); // a response: the connection worked, local count resets
    endOn(split, s, failed(FailureKind.PER_TRY_TIMEOUT));
    assertThat(s.ejectedAt(f.clock.get())).isFalse();
    endOn(split, s, failed(FailureKind.CONNECT_FAILURE));
    assertThat(s.ejectedAt(f.clock.get())).isTrue();
  }

  @Test
  void overflowAndCancelledAttemptsSayNothingAboutTheEndpoint() {
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, BASE, 100, 0));
    EndpointState e = bind(p);
    endOn(c, e, failed(FailureKind.OVERFLOW));
    endOn(c, e, failed(FailureKind.CANCELLED));
    assertThat(e.ejectedAt(f.clock.get())).isFalse();
  }

  @Test
  void withoutOutlierDetectionNothingIsEjected() {
    TrafficPolicy p = Fixtures.lb(SimpleLb.ROUND_ROBIN);
    EndpointState e = bind(p);
    for (int i = 0; i < 50; i++) {
      endOn(c, e, AttemptResult.response(503));
    }
    assertThat(e.ejectedAt(f.clock.get())).isFalse();
    assertThat(picks(p, 10)).hasSize(2);
  }

  @Test
  void ejectionsSurviveANewSnapshotOfTheSameEndpoints() {
    TrafficPolicy p = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, BASE, 100, 0));
    EndpointState bad = bind(p);
    endOn(c, bad, AttemptResult.response(500));
    InetSocketAddress[] fresh = endpoints(2);
    TrafficPolicy samePolicyNewInstance = outlier(SimpleLb.ROUND_ROBIN, consecutive5xx(1, BASE, 100, 0));
    for (int i = 0; i < 10; i++) {
      assertThat(f.upstreams.cluster("c").pick(fresh, samePolicyNewInstance, HashInput.NONE, List.of()).address()).isEqualTo(eps[1]);
    }
  }
}
