package io.inmesh.policy.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.TimeZone;
import org.junit.jupiter.api.Test;

class LogClockTest {
  @Test
  void formatsLocalWallClockTimeWithMilliseconds() {
    TimeZone before = TimeZone.getDefault();
    try {
      TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
      assertThat(Log.clock(3_723_004L)).isEqualTo("01:02:03.004");
      assertThat(Log.clock(86_399_999L)).isEqualTo("23:59:59.999");
      TimeZone.setDefault(TimeZone.getTimeZone("GMT+05:30"));
      assertThat(Log.clock(0L)).isEqualTo("05:30:00.000");
      TimeZone.setDefault(TimeZone.getTimeZone("GMT-01:00"));
      assertThat(Log.clock(120L)).isEqualTo("23:00:00.120");
    } finally {
      TimeZone.setDefault(before);
    }
  }
}
