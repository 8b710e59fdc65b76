package io.inmesh.agent.upstream;

import static io.inmesh.agent.upstream.Fixtures.endpoints;
import static io.inmesh.agent.upstream.Fixtures.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inmesh.policy.model.ConnectionPoolSettings;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Connection pool limits with Envoy's circuit-breaker semantics, as Istio's circuit-breaking task
 * shows them (https://istio.io/latest/docs/tasks/traffic-management/circuit-breaking/: with
 * maxConnections 1 and http1MaxPendingRequests 1, concurrent calls beyond one in flight and one
 * waiting overflow with 503).
 */
class ConnectionPoolTest {
  private final Fixtures f = new Fixtures();
  private final InetSocketAddress[] eps = endpoints(2);
  private final ClusterState c = f.upstreams.cluster("c");

  private EndpointState endpoint() {
    return c.pick(eps, TrafficPolicy.NONE, HashInput.NONE, List.of());
  }

  @Test
  void beyondMaxConnectionsRequestsWaitAndBeyondMaxPendingTheyOverflow() {
    ConnectionPoolSettings p = pool(1, 1, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED);
    Admission first = c.admit(endpoint(), p);
    Admission second = c.admit(endpoint(), p);
    Admission third = c.admit(endpoint(), p);
    assertThat(first.granted()).isNotNull();
    assertThat(second.pending()).isNotNull().isNotDone();
    assertThat(third.overflow()).isTrue();
    assertThat(c.overflows()).isEqualTo(1);
    assertThat(c.activeRequests()).isEqualTo(1);
    assertThat(c.pendingRequests()).isEqualTo(1);
  }

  @Test
  void http2MaxRequestsBoundsConcurrentRequestsWithoutPending() {
    ConnectionPoolSettings p = pool(1, 10, 2, ConnectionPoolSettings.UNLIMITED);
    assertThat(c.admit(endpoint(), p, true).granted()).isNotNull();
    assertThat(c.admit(endpoint(), p, true).granted()).as("HTTP/2 multiplexes: maxConnections does not bound requests").isNotNull();
    assertThat(c.admit(endpoint(), p, true).overflow()).isTrue();
    // HTTP/1.1 too: in flight at http2MaxRequests overflows at once, even with room to wait.
    assertThat(c.admit(endpoint(), p, false).overflow()).isTrue();
  }

  @Test
  void waitersAreGrantedInArrivalOrderAsSlotsFree() throws Exception {
    ConnectionPoolSettings p = pool(1, 3, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED);
    Permit running = c.admit(endpoint(), p).granted();
    List<CompletableFuture<Permit>> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiting.add(c.admit(endpoint(), p).pending());
    }
    running.release(AttemptResult.response(200), 1);
    assertThat(waiting.get(0)).isDone();
    assertThat(waiting.get(1)).isNotDone();
    assertThat(waiting.get(2)).isNotDone();
    assertThat(c.activeRequests()).isEqualTo(1);
    waiting.get(0).get(1, TimeUnit.SECONDS).release(AttemptResult.response(200), 1);
    assertThat(waiting.get(1)).isDone();
    assertThat(waiting.get(2)).isNotDone();
    // A newcomer does not jump the line while others wait.
    assertThat(c.admit(endpoint(), pool(1, 5, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED)).pending()).isNotNull();
  }

  @Test
  void aGrantedWaiterHoldsItsEndpoint() throws Exception {
    ConnectionPoolSettings p = pool(1, 1, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED);
    EndpointState e = endpoint();
    Permit running = c.admit(e, p).granted();
    CompletableFuture<Permit> w = c.admit(e, p).pending();
    assertThat(e.activeRequests()).isEqualTo(1);
    running.release(AttemptResult.response(200), 1);
    Permit granted = w.get(1, TimeUnit.SECONDS);
    assertThat(granted.endpoint()).isSameAs(e);
    assertThat(e.activeRequests()).isEqualTo(1);
    granted.release(AttemptResult.response(200), 1);
    assertThat(e.activeRequests()).isZero();
    assertThat(c.activeRequests()).isZero();
  }

  @Test
  void cancellingAPendingAdmissionGivesUpItsPlace() throws Exception {
    ConnectionPoolSettings p = pool(1, 2, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED);
    Permit running = c.admit(endpoint(), p).granted();
    CompletableFuture<Permit> first = c.admit(endpoint(), p).pending();
    CompletableFuture<Permit> second = c.admit(endpoint(), p).pending();
    assertThat(c.admit(endpoint(), p).overflow()).isTrue();
    assertThat(first.cancel(false)).isTrue();
    assertThat(c.pendingRequests()).isEqualTo(1);
    // Its place is free again: one more may wait.
    CompletableFuture<Permit> third = c.admit(endpoint(), p).pending();
    assertThat(third).isNotNull();
    running.release(AttemptResult.response(200), 1);
    assertThat(second).isDone();
    assertThat(second.get(1, TimeUnit.SECONDS).endpoint()).isNotNull();
    assertThat(third).isNotDone();
  }

  @Test
  void aDeadlineOnAPendingAdmissionGivesUpItsPlaceToo() {
    ConnectionPoolSettings p = pool(1, 1, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED);
    Permit running = c.admit(endpoint(), p).granted();
    CompletableFuture<Permit> w = c.admit(endpoint(), p).pending();
    w.completeExceptionally(new TimeoutException("deadline")); // what orTimeout does when it fires
    assertThat(c.pendingRequests()).isZero();
    running.release(AttemptResult.response(200), 1);
    assertThat(c.activeRequests()).isZero();
    assertThat(c.admit(endpoint(), p).granted()).isNotNull();
  }

  @Test
  void releasingTwiceFreesOneSlot() {
    ConnectionPoolSettings p = pool(2, 0, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED);
    Permit a = c.admit(endpoint(), p).granted();
    c.admit(endpoint(), p).granted();
    a.release(AttemptResult.response(200), 1);
    a.release(AttemptResult.response(200), 1);
    assertThat(c.activeRequests()).isEqualTo(1);
  }

  @Test
  void istioDefaultsNeverOverflow() {
    for (int i = 0; i < 10_000; i++) {
      assertThat(c.admit(endpoint(), ConnectionPoolSettings.DEFAULT).granted()).isNotNull();
    }
    assertThat(c.overflows()).isZero();
  }

  @Test
  void http2RequestsDoNotQueueBehindHttp1Waiters() {
    ConnectionPoolSettings p = pool(1, 5, 10, ConnectionPoolSettings.UNLIMITED);
    c.admit(endpoint(), p).granted();
    assertThat(c.admit(endpoint(), p).pending()).isNotNull();
    assertThat(c.admit(endpoint(), p, true).granted()).isNotNull();
  }

  @Test
  void raisedLimitsLetWaitersIn() {
    ConnectionPoolSettings one = pool(1, 5, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED);
    c.admit(endpoint(), one).granted();
    CompletableFuture<Permit> a = c.admit(endpoint(), one).pending();
    CompletableFuture<Permit> b = c.admit(endpoint(), one).pending();
    // A policy push raises maxConnections to 3: the next admission lets both waiters in first.
    ConnectionPoolSettings three = pool(3, 5, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED);
    Admission next = c.admit(endpoint(), three);
    assertThat(a).isDone();
    assertThat(b).isDone();
    assertThat(next.pending()).isNotNull().isNotDone();
    assertThat(c.activeRequests()).isEqualTo(3);
  }

  @Test
  void underConcurrencyTheLimitHoldsAndEveryWaiterIsServed() throws Exception {
    ConnectionPoolSettings p = pool(3, 4, ConnectionPoolSettings.UNLIMITED, ConnectionPoolSettings.UNLIMITED);
    EndpointState e = endpoint();
    java.util.concurrent.atomic.AtomicInteger maxSeen = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger overflowed = new java.util.concurrent.atomic.AtomicInteger();
    Runnable worker =
        () -> {
          for (int i = 0; i < 3000; i++) {
            Admission a = c.admit(e, p);
            Permit permit;
            if (a.overflow()) {
              overflowed.incrementAndGet();
              continue;
            }
            try {
              permit = a.granted() != null ? a.granted() : a.pending().get(10, TimeUnit.SECONDS);
            } catch (Exception ex) {
              throw new AssertionError("a waiter was never served", ex);
            }
            maxSeen.accumulateAndGet(e.activeRequests(), Math::max);
            permit.release(AttemptResult.response(200), 1);
          }
        };
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < 8; t++) {
      Thread th = new Thread(worker);
      th.setUncaughtExceptionHandler((x, ex) -> failures.add(ex));
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join(60_000);
      assertThat(th.isAlive()).isFalse();
    }
    assertThat(failures).isEmpty();
    assertThat(maxSeen.get()).isLessThanOrEqualTo(3);
    assertThat(c.activeRequests()).isZero();
    assertThat(c.pendingRequests()).isZero();
    assertThat(e.activeRequests()).isZero();
    assertThat(c.overflows()).isEqualTo(overflowed.get());
  }

  @Test
  void admittingWithoutAnEndpointIsAClearError() {
    assertThatThrownBy(() -> c.admit(null, ConnectionPoolSettings.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("503 UH");
  }
}
