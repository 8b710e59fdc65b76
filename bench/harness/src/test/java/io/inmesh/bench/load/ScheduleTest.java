package io.inmesh.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScheduleTest {

  @Test
  void intendedTimesAreEvenlySpacedFromTheStart_whateverHappensToResponses() {
    Schedule s = Schedule.of(1_000, 1000, 4, 2.0);
    assertThat(s.totalRequests()).isEqualTo(2000);
    assertThat(s.intendedNanos(0)).isEqualTo(1_000);
    assertThat(s.intendedNanos(1)).isEqualTo(1_000 + 1_000_000);
    assertThat(s.intendedNanos(1999)).isEqualTo(1_000 + 1_999_000_000L);
    assertThat(s.lastIntendedNanos()).isEqualTo(s.intendedNanos(1999));
  }

  @Test
  void connectionsShareTheScheduleRoundRobin_everyRequestExactlyOnce() {
    Schedule s = Schedule.of(0, 333, 7, 3.0);
    Set<Long> seen = new HashSet<>();
    long total = 0;
    for (int k = 0; k < 7; k++) {
      total += s.countFor(k);
      for (long i = 0; i < s.countFor(k); i++) {
        long j = s.index(k, i);
        assertThat(j % 7).isEqualTo(k);
        assertThat(seen.add(j)).isTrue();
      }
    }
    assertThat(total).isEqualTo(s.totalRequests()).isEqualTo(999);
    assertThat(seen).allMatch(j -> j >= 0 && j < 999);
  }

  @Test
  void moreConnectionsThanRequests() {
    Schedule s = new Schedule(0, 10, 8, 3);
    assertThat(s.countFor(0)).isEqualTo(1);
    assertThat(s.countFor(2)).isEqualTo(1);
    assertThat(s.countFor(3)).isZero();
    assertThat(new Schedule(0, 10, 8, 0).lastIntendedNanos()).isZero();
  }

  @Test
  void rateAndConnectionsMustBePositive() {
    assertThatThrownBy(() -> new Schedule(0, 0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Schedule(0, 1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
