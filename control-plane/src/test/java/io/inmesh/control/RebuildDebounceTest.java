package io.inmesh.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, "debounced rebuilds": registry changes are coalesced into one rebuild per window, and
 * the window widens while churn goes on. Driven by hand (a scheduler that only records what it is
 * given, a clock the test moves), so what is asserted is counts and the window chosen, never how
 * long anything took.
 */
class RebuildDebounceTest {

  private record Scheduled(Runnable task, long delayMillis) {}

  private final List<Scheduled> scheduled = new ArrayList<>();
  private final AtomicInteger rebuildsRun = new AtomicInteger();
  private final AtomicLong now = new AtomicLong(TimeUnit.SECONDS.toNanos(1_000));
  private final RebuildDebounce debounce =
      new RebuildDebounce(
          (task, delay) -> scheduled.add(new Scheduled(task, delay)), rebuildsRun::incrementAndGet, now::get, () -> 0L);

  @Test
  void aBurstOfRegistrationsIsOneRebuild() {
    for (int i = 0; i < 500; i++) {
      debounce.registryChanged();
    }
    assertThat(scheduled).as("500 registry changes before the rebuild ran: one rebuild scheduled").hasSize(1);
    assertThat(scheduled.get(0).delayMillis()).as("after a quiet spell").isEqualTo(RebuildDebounce.QUIET_WINDOW_MILLIS);
    runNext();
    assertThat(rebuildsRun).hasValue(1);
    assertThat(debounce.registryChanges()).isEqualTo(500);
    assertThat(debounce.rebuilds()).isEqualTo(1);
  }

  @Test
  void whileChurnGoesOnTheWindowWidens_andNarrowsAgainAfterAQuietSpell() {
    debounce.registryChanged();
    runNext();
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(RebuildDebounce.ROLLOUT_GAP_MILLIS / 2));
    for (int i = 0; i < 50; i++) {
      debounce.registryChanged(); // a rollout: more registrations right after the last rebuild
    }
    assertThat(scheduled).hasSize(1);
    assertThat(scheduled.get(0).delayMillis()).isEqualTo(RebuildDebounce.ROLLOUT_WINDOW_MILLIS);
    runNext();
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(RebuildDebounce.ROLLOUT_GAP_MILLIS + 1));
    debounce.registryChanged(); // one new endpoint after the rollout
    assertThat(scheduled.get(0).delayMillis()).isEqualTo(RebuildDebounce.QUIET_WINDOW_MILLIS);
    runNext();
    assertThat(rebuildsRun).hasValue(3);
    assertThat(debounce.registryChanges()).isEqualTo(52);
  }

  @Test
  void aPolicyChangeIsRebuiltAtOnce_evenDuringChurn() {
    debounce.registryChanged();
    runNext();
    debounce.registryChanged(); // churn: waits for the wide window
    debounce.now();
    assertThat(scheduled).extracting(Scheduled::delayMillis).containsExactly(RebuildDebounce.ROLLOUT_WINDOW_MILLIS, 0L);
  }

  @Test
  void aRebuildThatCostsMuchCpuSpacesTheNextOne_byItsCpuTimeNotItsWallTime() {
    AtomicLong cpu = new AtomicLong();
    RebuildDebounce slow =
        new RebuildDebounce(
            (task, delay) -> scheduled.add(new Scheduled(task, delay)),
            () -> {
              now.addAndGet(TimeUnit.MILLISECONDS.toNanos(3_000)); // 3 s on a starved core...
              cpu.addAndGet(TimeUnit.MILLISECONDS.toNanos(800)); // ...of which 800 ms on it
            },
            now::get,
            cpu::get);
    slow.registryChanged();
    runNext();
    now.addAndGet(TimeUnit.SECONDS.toNanos(10)); // quiet again
    slow.registryChanged();
    assertThat(scheduled.get(0).delayMillis()).as("twice the last rebuild's CPU time").isEqualTo(1_600);
  }

  private void runNext() {
    scheduled.remove(0).task().run();
  }
}
