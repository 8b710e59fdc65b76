package io.inmesh.agent.upstream;

import static io.inmesh.agent.upstream.Fixtures.endpoints;
import static io.inmesh.agent.upstream.Fixtures.pool;
import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.model.ConnectionPoolSettings;
import io.inmesh.policy.model.RetryBudget;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Retry concurrency. With Istio's retryBudget
 * (https://istio.io/latest/docs/reference/config/networking/destination-rule/#TrafficPolicy-RetryBudget),
 * Envoy's retry budget: concurrent retries ≤ max(percent × active requests, minRetryConcurrency).
 * Without it, connectionPool.http.maxRetries caps concurrent retries.
 */
class RetryBudgetTest {
  private final Fixtures f = new Fixtures();
  private final ClusterState c = f.upstreams.cluster("c");
  private final InetSocketAddress[] eps = endpoints(2);

  @Test
  void withFewRequestsTheBudgetAllowsMinRetryConcurrency() {
    TrafficPolicy p = Fixtures.budget(new RetryBudget(20, 3, Duration.ZERO), null);
    List<RetryToken> tokens = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RetryToken t = c.admitRetry(p);
      assertThat(t).isNotNull();
      tokens.add(t);
    }
    assertThat(c.admitRetry(p)).isNull();
    assertThat(c.retryOverflows()).isEqualTo(1);
    tokens.get(0).release();
    tokens.get(0).release(); // twice: frees one place only
    assertThat(c.admitRetry(p)).isNotNull();
    assertThat(c.admitRetry(p)).isNull();
  }

  @Test
  void theBudgetGrowsWithActiveRequests() {
    TrafficPolicy p = Fixtures.budget(new RetryBudget(20, 3, Duration.ZERO), null);
    for (int i = 0; i < 50; i++) {
      c.admit(c.pick(eps, p, HashInput.NONE, List.of()), ConnectionPoolSettings.DEFAULT);
    }
    int admitted = 0;
    while (c.admitRetry(p) != null) {
      admitted++;
    }
    assertThat(admitted).isEqualTo(10); // 20% of 50
  }

  @Test
  void withoutABudgetMaxRetriesCapsConcurrentRetries() {
    TrafficPolicy p = Fixtures.budget(null, pool(ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED, 1));
    RetryToken one = c.admitRetry(p);
    assertThat(one).isNotNull();
    assertThat(c.admitRetry(p)).isNull();
    one.release();
    assertThat(c.admitRetry(p)).isNotNull();
  }

  @Test
  void istioDefaultsLeaveRetriesUncapped() {
    for (int i = 0; i < 1000; i++) {
      assertThat(c.admitRetry(TrafficPolicy.NONE)).isNotNull();
    }
  }

  @Test
  void aRefusedRetryHoldsNothing() {
    TrafficPolicy p = Fixtures.budget(null, pool(ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED, 0));
    assertThat(c.admitRetry(p)).isNull();
    assertThat(c.activeRetries()).isZero();
    assertThat(c.retryOverflows()).isEqualTo(1);
    RetryToken.NONE.release(); // a pass-through destination's token: nothing to free
    assertThat(c.activeRetries()).isZero();
  }
}
