package io.inmesh.agent.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inmesh.policy.model.HttpRetry;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * retryOn classification, per Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on
 * (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on)
 * as Istio passes retryOn through (numeric codes become retriable status codes), and Envoy's
 * backoff (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#config-http-filters-router-x-envoy-max-retries:
 * fully jittered exponential, 25 ms base, 250 ms maximum).
 */
class RetryPolicyTest {
  private static final Function<String, String> NO_HEADERS = n -> null;

  private static RetryPolicy on(String retryOn) {
    return RetryPolicy.of(new HttpRetry(2, null, retryOn, null, null, null));
  }

  private static Function<String, String> headers(Map<String, String> h) {
    return h::get;
  }

  /** retryOn, status, retried? */
  @ParameterizedTest(name = "retryOn={0} status={1} → {2}")
  @CsvSource({
    "5xx, 500, true",
    "5xx, 503, true",
    "5xx, 599, true",
    "5xx, 404, false",
    "5xx, 409, false",
    "gateway-error, 502, true",
    "gateway-error, 503, true",
    "gateway-error, 504, true",
    "gateway-error, 500, false",
    "gateway-error, 501, false",
    "retriable-4xx, 409, true",
    "retriable-4xx, 404, false",
    "'503', 503, true",
    "'503', 502, false",
    "'retriable-status-codes,418', 418, true",
    "retriable-status-codes, 503, false",
    "connect-failure, 503, false",
    "reset, 500, false",
    "refused-stream, 503, false",
    "'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503', 503, true",
    "'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503', 500, false",
    "'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503', 502, false",
  })
  void statusClassification(String retryOn, int status, boolean retried) {
    assertThat(on(retryOn).retriable(status, NO_HEADERS)).isEqualTo(retried);
  }

  /** retryOn, failure, retried? (Envoy: 5xx and gateway-error include no response at all, and the per-try timeout). */
  @ParameterizedTest(name = "retryOn={0} {1} → {2}")
  @CsvSource({
    "5xx, CONNECT_FAILURE, true",
    "5xx, RESET, true",
    "5xx, REFUSED_STREAM, true",
    "5xx, PER_TRY_TIMEOUT, true",
    "gateway-error, CONNECT_FAILURE, true",
    "gateway-error, RESET, true",
    "gateway-error, PER_TRY_TIMEOUT, true",
    "reset, RESET, true",
    "reset, PER_TRY_TIMEOUT, true",
    "reset, CONNECT_FAILURE, true",
    "connect-failure, CONNECT_FAILURE, true",
    "connect-failure, RESET, false",
    "connect-failure, PER_TRY_TIMEOUT, false",
    "refused-stream, REFUSED_STREAM, true",
    "refused-stream, RESET, false",
    "retriable-4xx, RESET, false",
    "'503', CONNECT_FAILURE, false",
    "5xx, OVERFLOW, false",
    "5xx, CANCELLED, false",
    "5xx, OTHER, false",
    "'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503', CONNECT_FAILURE, true",
    "'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503', REFUSED_STREAM, true",
    "'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503', RESET, false",
    "'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503', PER_TRY_TIMEOUT, false",
  })
  void failureClassification(String retryOn, FailureKind failure, boolean retried) {
    assertThat(on(retryOn).retriable(failure, false)).isEqualTo(retried);
  }

  @Test
  void istiosDefaultPolicyRetries503AndConnectFailuresTwice() {
    RetryPolicy p = RetryPolicy.of(HttpRetry.ISTIO_DEFAULT);
    assertThat(p.maxRetries()).isEqualTo(2);
    assertThat(p.retriable(503, NO_HEADERS)).isTrue();
    assertThat(p.retriable(500, NO_HEADERS)).isFalse();
    assertThat(p.retriable(FailureKind.CONNECT_FAILURE, false)).isTrue();
    assertThat(p.retriable(FailureKind.REFUSED_STREAM, false)).isTrue();
    assertThat(p.retriable(200, headers(Map.of("grpc-status", "14")))).as("unavailable").isTrue();
    assertThat(p.retriable(200, headers(Map.of("grpc-status", "1")))).as("cancelled").isTrue();
    assertThat(p.retriable(200, headers(Map.of("grpc-status", "13")))).as("internal is not in the default").isFalse();
  }

  @Test
  void grpcConditionsReadGrpcStatus() {
    RetryPolicy p = on("deadline-exceeded,internal,resource-exhausted");
    assertThat(p.retriable(200, headers(Map.of("grpc-status", "4")))).isTrue();
    assertThat(p.retriable(200, headers(Map.of("grpc-status", "13")))).isTrue();
    assertThat(p.retriable(200, headers(Map.of("grpc-status", "8")))).isTrue();
    assertThat(p.retriable(200, headers(Map.of("grpc-status", "14")))).isFalse();
    assertThat(p.retriable(200, headers(Map.of("grpc-status", "0")))).isFalse();
  }

  @Test
  void anOverloadedAnswerIsNeverRetriedAndRateLimitedOnlyWhenAsked() {
    assertThat(on("5xx").retriable(503, headers(Map.of("x-envoy-overloaded", "true")))).isFalse();
    assertThat(on("envoy-ratelimited").retriable(429, headers(Map.of("x-envoy-ratelimited", "true")))).isTrue();
    assertThat(on("5xx").retriable(429, headers(Map.of("x-envoy-ratelimited", "true")))).isFalse();
  }

  @Test
  void whetherTheRequestLeftMattersOnlyForResetBeforeRequest() {
    RetryPolicy p = on("5xx,reset,connect-failure,refused-stream");
    for (FailureKind k : new FailureKind[] {FailureKind.CONNECT_FAILURE, FailureKind.RESET, FailureKind.REFUSED_STREAM, FailureKind.PER_TRY_TIMEOUT}) {
      assertThat(p.retriable(k, true)).as(k.name()).isTrue();
    }
    RetryPolicy before = on("reset-before-request");
    assertThat(before.retriable(FailureKind.RESET, false)).isTrue();
    assertThat(before.retriable(FailureKind.RESET, true)).isFalse();
    assertThat(before.retriable(FailureKind.CONNECT_FAILURE, false)).isTrue();
    assertThat(before.retriable(FailureKind.PER_TRY_TIMEOUT, true)).isFalse();
  }

  @Test
  void zeroAttemptsOrNoPolicyDisablesRetries() {
    assertThat(RetryPolicy.of(HttpRetry.DISABLED).enabled()).isFalse();
    assertThat(RetryPolicy.of(null).enabled()).isFalse();
    assertThat(RetryPolicy.of(HttpRetry.DISABLED).retriable(503, NO_HEADERS)).isFalse();
  }

  @Test
  void perTryTimeoutAndAttemptsComeFromTheRoute() {
    RetryPolicy p = RetryPolicy.of(new HttpRetry(3, Duration.ofMillis(300), "5xx", null, null, null));
    assertThat(p.maxRetries()).isEqualTo(3);
    assertThat(p.perTryTimeout()).isEqualTo(Duration.ofMillis(300));
    assertThat(RetryPolicy.of(new HttpRetry(3, null, "5xx", null, null, null)).perTryTimeout()).isNull();
  }

  @Test
  void theSameHttpRetryGivesTheSameCompiledPolicy() {
    HttpRetry r = new HttpRetry(3, null, "5xx", null, null, null);
    assertThat(RetryPolicy.of(r)).isSameAs(RetryPolicy.of(r));
  }

  @Test
  void anUnknownConditionIsAClearError() {
    assertThatThrownBy(() -> on("5xx,sometimes")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"sometimes\"");
    assertThatThrownBy(() -> on("5xx,999")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("999");
  }

  @Test
  void backoffIsFullyJitteredExponentialFrom25MsCappedAt250Ms() {
    RetryPolicy p = on("5xx");
    SplittableRandom random = new SplittableRandom(7);
    long ms = 1_000_000;
    // Retry n waits uniformly in [0, (2^n − 1) × 25 ms), never more than 250 ms.
    long[] ceilings = {25 * ms, 75 * ms, 175 * ms, 250 * ms, 250 * ms, 250 * ms};
    for (int n = 1; n <= ceilings.length; n++) {
      long max = 0;
      long min = Long.MAX_VALUE;
      for (int i = 0; i < 2000; i++) {
        long b = p.backoffNanos(n, random);
        assertThat(b).isBetween(0L, ceilings[n - 1] - 1);
        max = Math.max(max, b);
        min = Math.min(min, b);
      }
      // Fully jittered: the draws cover the whole range, down to near zero and up to near the ceiling.
      assertThat(max).isGreaterThan(ceilings[n - 1] * 9 / 10);
      assertThat(min).isLessThan(ceilings[n - 1] / 10);
    }
    assertThat(p.backoffNanos(1000, random)).isLessThan(250 * ms);
    assertThat(p.maxBackoffNanos()).isEqualTo(250 * ms);
  }

  @Test
  void theRoutesBackoffReplacesTheBaseInterval() {
    RetryPolicy p = RetryPolicy.of(new HttpRetry(2, null, "5xx", null, null, Duration.ofMillis(100)));
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 1000; i++) {
      assertThat(p.backoffNanos(1, random)).isLessThan(100_000_000L);
      assertThat(p.backoffNanos(10, random)).isLessThan(1_000_000_000L);
    }
    assertThat(p.maxBackoffNanos()).isEqualTo(1_000_000_000L);
  }
}
