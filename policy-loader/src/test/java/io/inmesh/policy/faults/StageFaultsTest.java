package io.inmesh.policy.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.inmesh.policy.faults.StageFaults.Stage;
import org.junit.jupiter.api.Test;

class StageFaultsTest {

  @Test
  void namesParseCaseInsensitivelyUnknownOnesAreIgnoredAndAllMeansEvery() {
    assertThat(StageFaults.parse(" Resolve, balance ,bogus")).containsExactlyInAnyOrder(Stage.RESOLVE, Stage.BALANCE);
    assertThat(StageFaults.parse("all")).containsExactlyInAnyOrder(Stage.values());
    assertThat(StageFaults.parse(null)).isEmpty();
    assertThat(StageFaults.parse("")).isEmpty();
  }

  @Test
  void withoutTheSwitchNoStageThrows() {
    // the test JVM runs without -Dinmesh.test.failStages
    for (Stage s : Stage.values()) {
      assertThatCode(() -> StageFaults.check(s)).doesNotThrowAnyException();
    }
  }
}
