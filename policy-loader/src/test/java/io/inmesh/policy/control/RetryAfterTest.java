package io.inmesh.policy.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds. */
class RetryAfterTest {
  static final Instant NOW = Instant.parse("2026-11-30T07:00:00Z");

  @Test
  void delaySeconds() {
    assertThat(RetryAfter.parse("7", NOW)).isEqualTo(Duration.ofSeconds(7));
    assertThat(RetryAfter.parse(" 0 ", NOW)).isEqualTo(Duration.ZERO);
  }

  @Test
  void httpDate() {
    assertThat(RetryAfter.parse("Mon, 30 Nov 2026 07:00:09 GMT", NOW)).isEqualTo(Duration.ofSeconds(9));
    assertThat(RetryAfter.parse("Mon, 30 Nov 2026 06:59:00 GMT", NOW)).as("a date in the past: at once").isEqualTo(Duration.ZERO);
  }

  @Test
  void cappedSoAWrongHeaderCannotDisconnectAnAgentForHours() {
    assertThat(RetryAfter.parse("86400", NOW)).isEqualTo(RetryAfter.MAX);
    assertThat(RetryAfter.parse("99999999999999999999999", NOW)).isEqualTo(RetryAfter.MAX);
  }

  @Test
  void absentOrUnreadableIsNull() {
    assertThat(RetryAfter.parse(null, NOW)).isNull();
    assertThat(RetryAfter.parse("", NOW)).isNull();
    assertThat(RetryAfter.parse("soon", NOW)).isNull();
    assertThat(RetryAfter.parse("-5", NOW)).isNull();
  }
}
