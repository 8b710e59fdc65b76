package io.inmesh.policy.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void delaysStayWithinBaseAndCapAndNeverGoBelowBase() {
    Backoff b = new Backoff(250, 5_000);
    for (int i = 0; i < 10_000; i++) {
      assertThat(b.failed()).isBetween(250L, 5_000L);
    }
    assertThat(b.failures()).isEqualTo(10_000);
  }

  @Test
  void eachDelayIsAtMostThreeTimesThePreviousOne_decorrelatedJitter() {
    Backoff b = new Backoff(100, 1_000_000);
    long previous = 100;
    for (int i = 0; i < 1_000; i++) {
      long d = b.failed();
      assertThat(d).isBetween(100L, previous * 3);
      previous = d;
    }
  }

  @Test
  void growsWhileFailing_onlySuccessResetsIt() {
    // the median of many draws after k failures grows with k until it meets the cap
    long afterOne = medianAfter(1);
    long afterSix = medianAfter(6);
    assertThat(afterSix).isGreaterThan(afterOne * 3);
    Backoff b = new Backoff(250, 5_000);
    for (int i = 0; i < 20; i++) {
      b.failed();
    }
    b.succeeded();
    assertThat(b.failures()).isZero();
    assertThat(b.failed()).isBetween(250L, 750L);
  }

  @Test
  void spreadsAFleetOverTheWindow_noLockstep() {
    // 100 agents that lost the control plane at the same instant: their 5th retries do not coincide
    Set<Long> buckets = new HashSet<>();
    for (int agent = 0; agent < 100; agent++) {
      Backoff b = new Backoff(250, 5_000);
      long at = 0;
      for (int i = 0; i < 5; i++) {
        at += b.failed();
      }
      buckets.add(at / 250); // quarter-second slots
    }
    assertThat(buckets).as("distinct 250 ms slots used by 100 agents' 5th retry").hasSizeGreaterThan(20);
  }

  @Test
  void refusesANonsenseConfiguration() {
    assertThatThrownBy(() -> new Backoff(0, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(100, 10)).isInstanceOf(IllegalArgumentException.class);
  }

  private static long medianAfter(int failures) {
    long[] d = new long[2001];
    for (int i = 0; i < d.length; i++) {
      Backoff b = new Backoff(250, 5_000);
      long last = 0;
      for (int k = 0; k < failures; k++) {
        last = b.failed();
      }
      d[i] = last;
    }
    java.util.Arrays.sort(d);
    return d[d.length / 2];
  }
}
