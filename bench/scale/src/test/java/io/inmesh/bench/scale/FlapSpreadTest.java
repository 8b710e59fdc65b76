package io.inmesh.bench.scale;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The lockstep detector FlapTest relies on: it must tell a burst from a jittered fleet. */
class FlapSpreadTest {

  private static final long MS = 1_000_000L;

  @Test
  void aFleetWithoutJitter_arrivesInOneBurst_isLockstep() {
    // 100 agents with the same backoff, answered one after another by the restarted control plane
    List<Long> burst = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      burst.add(400 * MS + i * 300_000L); // 0.3 ms apart: the whole fleet within 30 ms
    }
    FlapSpread s = FlapSpread.of(burst);
    assertThat(s.densestWindow()).isEqualTo(100);
    assertThat(s.lockstep()).isTrue();
  }

  @Test
  void aBurstStraddlingABucketBoundary_isStillOneBurst() {
    List<Long> burst = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      burst.add(30 * MS + i * 500_000L); // 30 ms .. 59.5 ms: two grid buckets, one 50 ms window
    }
    FlapSpread s = FlapSpread.of(burst);
    assertThat(s.fullestBucket()).isEqualTo(40);
    assertThat(s.densestWindow()).isEqualTo(60);
    assertThat(s.lockstep()).isTrue();
  }

  @Test
  void aFleetSpreadOverTheBackoffWindow_isNotLockstep() {
    Random rnd = new Random(15);
    List<Long> spread = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      spread.add((long) (rnd.nextDouble() * 1500 * MS)); // uniform over 1.5 s
    }
    FlapSpread s = FlapSpread.of(spread);
    assertThat(s.reconnected()).isEqualTo(100);
    assertThat(s.densestWindow()).isLessThan(25);
    assertThat(s.lockstep()).isFalse();
    assertThat(s.p10Ms()).isLessThan(s.p50Ms());
    assertThat(s.p50Ms()).isLessThan(s.p90Ms());
  }

  @Test
  void aFewAgents_areNeverJudged() {
    FlapSpread s = FlapSpread.of(List.of(1 * MS, 2 * MS, 3 * MS));
    assertThat(s.densestWindow()).isEqualTo(3);
    assertThat(s.lockstep()).isFalse();
  }

  @Test
  void bucketsAndWindows_countWhatTheySay() {
    long[] t = {-10 * MS, 0, 49 * MS, 50 * MS, 99 * MS, 100 * MS, 140 * MS, 145 * MS};
    // grid buckets: [-50,0): 1, [0,50): 2, [50,100): 2, [100,150): 3
    assertThat(FlapSpread.fullestBucket(t)).isEqualTo(3);
    // the densest 50 ms window: [99, 149) holds 99, 100, 140, 145
    assertThat(FlapSpread.densestWindow(t, 50 * MS)).isEqualTo(4);
    assertThat(FlapSpread.of(List.of()).reconnected()).isZero();
  }
}
