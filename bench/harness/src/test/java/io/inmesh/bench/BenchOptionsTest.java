package io.inmesh.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inmesh.bench.mode.AppPair;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

  @Test
  void forksSplitTheRoundsEvenlyAndNeverOutnumberThem() {
    BenchOptions o = BenchOptions.parse(new String[] {"--rounds", "5", "--forks", "2"});
    assertThat(o.forks(AppPair.JDK)).isEqualTo(2);
    assertThat(o.roundsInFork(AppPair.JDK, 1)).isEqualTo(3);
    assertThat(o.roundsInFork(AppPair.JDK, 2)).isEqualTo(2);

    BenchOptions more = BenchOptions.parse(new String[] {"--rounds", "3", "--forks", "7"});
    assertThat(more.forks(AppPair.SPRING)).isEqualTo(3);
    assertThat(IntStream.rangeClosed(1, 3).map(f -> more.roundsInFork(AppPair.SPRING, f))).containsExactly(1, 1, 1);
  }

  @Test
  void oneForkByDefaultRunsEveryRoundInOneStart() {
    BenchOptions o = BenchOptions.parse(new String[] {});
    assertThat(o.forks(AppPair.JDK)).isEqualTo(1);
    assertThat(o.roundsInFork(AppPair.JDK, 1)).isEqualTo(o.rounds.get(AppPair.JDK));
    assertThat(o.startupRounds).isEqualTo(3);
  }

  @Test
  void startupRoundsAreSetAndNonsenseIsRefusedWithTheFlagNamed() {
    assertThat(BenchOptions.parse(new String[] {"--startup-rounds", "6"}).startupRounds).isEqualTo(6);
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--forks", "0"})).hasMessageStartingWith("--forks wants a whole number ≥ 1, got 0");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--startup-rounds", "two"})).hasMessageStartingWith("--startup-rounds wants a whole number ≥ 1, got two");
  }
}
