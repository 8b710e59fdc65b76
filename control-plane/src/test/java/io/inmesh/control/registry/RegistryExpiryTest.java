package io.inmesh.control.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.control.EventLog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Expiry on the monotonic clock: pauses give a fresh TTL, and a mass silence drains gradually. */
class RegistryExpiryTest {

  static final Duration TTL = Duration.ofSeconds(15);
  static final Duration PAUSE = Duration.ofSeconds(4);

  final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  final List<String> log = new ArrayList<>();
  // the wall clock never moves: expiry must not depend on it
  final Registry registry =
      new Registry(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC), nanos::get, new EventLog(log::add));

  void register(int n) {
    for (int i = 0; i < n; i++) {
      registry.register(new Registration("a-" + i, "svc", "default", Map.of(), "127.6.0." + (i % 250), List.of(8080), null, null, null, null));
    }
  }

  /** Sweeps once a second (as the control plane does) for {@code seconds}. */
  void sweepFor(int seconds) {
    for (int i = 0; i < seconds; i++) {
      nanos.addAndGet(1_000_000_000L);
      registry.expire(TTL, PAUSE);
    }
  }

  @Test
  void agentsExpireAfterTheTtlOnTheMonotonicClockAtMostATenthPerSweep() {
    register(100);
    registry.expire(TTL, PAUSE);
    sweepFor(14);
    assertThat(registry.size()).isEqualTo(100);
    sweepFor(2);
    assertThat(registry.size()).as("a tenth of the registry per sweep").isEqualTo(90);
    assertThat(log).anyMatch(l -> l.contains("agents silent for 15000 ms at once"));
    sweepFor(30);
    assertThat(registry.size()).as("dead agents still all go").isZero();
  }

  @Test
  void aPauseLongerThanTheTtlGivesEveryAgentAFreshTtl() {
    register(3);
    registry.expire(TTL, PAUSE);
    sweepFor(5);
    nanos.addAndGet(Duration.ofSeconds(40).toNanos()); // SIGSTOP for 40 s
    registry.expire(TTL, PAUSE);
    assertThat(registry.size()).as("nothing expires on resuming").isEqualTo(3);
    assertThat(log).anyMatch(l -> l.contains("was paused for about 40 s"));
    for (int i = 0; i < 16; i++) { // a-0 and a-1 are alive and heartbeat; a-2 died during the pause
      registry.heartbeat("a-0");
      registry.heartbeat("a-1");
      sweepFor(1);
    }
    assertThat(registry.agents()).extracting(AgentRecord::agent).containsExactly("a-0", "a-1");
  }

  @Test
  void aPauseBeforeTheFirstSweepIsStillAPause() {
    // PauseTest's case: the process stopped moments after it started, before any sweep had run
    registry.sweepsStart();
    register(3);
    nanos.addAndGet(Duration.ofSeconds(40).toNanos());
    registry.expire(TTL, PAUSE);
    assertThat(registry.size()).as("nothing expires on resuming").isEqualTo(3);
    assertThat(log).anyMatch(l -> l.contains("was paused for about 40 s"));
  }
}
