package io.inmesh.agent.retry;

import io.inmesh.policy.model.HttpRetry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * A route's compiled retry policy: Istio's HTTPRetry
 * (https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry) with
 * Envoy's retry conditions (x-envoy-retry-on and x-envoy-retry-grpc-on,
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on).
 *
 * <ul>
 *   <li>{@code 5xx}: any 5xx response, or no response at all (connect failure, reset, refused
 *       stream, per-try timeout).
 *   <li>{@code gateway-error}: 502, 503, 504, and the same no-response failures (Envoy maps them to
 *       502/503/504 and its reset handling retries them under gateway-error too).
 *   <li>{@code reset}: no response (disconnect, reset, read timeout: the per-try timeout too).
 *   <li>{@code connect-failure}, {@code refused-stream}: just those.
 *   <li>{@code retriable-4xx}: 409. {@code retriable-status-codes} and numeric codes: those codes
 *       (Istio turns numeric codes into Envoy's retriable_status_codes).
 *   <li>gRPC {@code cancelled, deadline-exceeded, internal, resource-exhausted, unavailable}: the
 *       {@code grpc-status} response header.
 *   <li>{@code envoy-ratelimited}: a response carrying {@code x-envoy-ratelimited}.
 * </ul>
 *
 * A response carrying {@code x-envoy-overloaded} (a sidecar's or mesh agent's overflow answer) and
 * the mesh's own overflow are never retried, as Envoy does. Immutable; {@link #of} caches by the
 * HttpRetry value (records compare by value, and routes share a handful of retry policies).
 */
public final class RetryPolicy {
  /** Envoy's default base interval when the route sets no backoff. */
  public static final Duration DEFAULT_BASE_INTERVAL = Duration.ofMillis(25);

  private static final int CACHE_LIMIT = 1024;
  private static final Map<HttpRetry, RetryPolicy> CACHE = new ConcurrentHashMap<>();

  private static final int ON_5XX = 1;
  private static final int ON_GATEWAY_ERROR = 1 << 1;
  private static final int ON_RESET = 1 << 2;
  private static final int ON_CONNECT_FAILURE = 1 << 3;
  private static final int ON_REFUSED_STREAM = 1 << 4;
  private static final int ON_RETRIABLE_4XX = 1 << 5;
  private static final int ON_STATUS_CODES = 1 << 6;
  private static final int ON_RATE_LIMITED = 1 << 7;
  private static final int ON_RESET_BEFORE_REQUEST = 1 << 8;
  private static final int GRPC_CANCELLED = 1 << 9;
  private static final int GRPC_DEADLINE_EXCEEDED = 1 << 10;
  private static final int GRPC_INTERNAL = 1 << 11;
  private static final int GRPC_RESOURCE_EXHAUSTED = 1 << 12;
  private static final int GRPC_UNAVAILABLE = 1 << 13;
  private static final int ANY_GRPC = GRPC_CANCELLED | GRPC_DEADLINE_EXCEEDED | GRPC_INTERNAL | GRPC_RESOURCE_EXHAUSTED | GRPC_UNAVAILABLE;
  /** Conditions under which Envoy retries an attempt that got no response at all. */
  private static final int ANY_NO_RESPONSE = ON_5XX | ON_GATEWAY_ERROR | ON_RESET;

  public static final RetryPolicy DISABLED = new RetryPolicy(0, null, 0, new int[0], DEFAULT_BASE_INTERVAL, "");

  private final int maxRetries;
  private final Duration perTryTimeout;
  private final int conditions;
  private final int[] statusCodes;
  private final long baseNanos;
  private final long maxNanos;
  private final String retryOn;

  private RetryPolicy(int maxRetries, Duration perTryTimeout, int conditions, int[] statusCodes, Duration base, String retryOn) {
    this.maxRetries = maxRetries;
    this.perTryTimeout = perTryTimeout;
    this.conditions = conditions;
    this.statusCodes = statusCodes;
    this.baseNanos = Math.max(1, base.toNanos());
    // Envoy: the maximum interval defaults to 10 × the base interval.
    this.maxNanos = Math.multiplyExact(baseNanos, 10);
    this.retryOn = retryOn;
  }

  /** The compiled form of {@code retry}; null or {@code attempts: 0} gives {@link #DISABLED}. */
  public static RetryPolicy of(HttpRetry retry) {
    if (retry == null || retry.attempts() <= 0) {
      return DISABLED;
    }
    RetryPolicy p = CACHE.get(retry);
    if (p == null) {
      p = compile(retry);
      if (CACHE.size() >= CACHE_LIMIT) {
        CACHE.clear(); // bounded: policies churn only with config pushes
      }
      CACHE.putIfAbsent(retry, p);
    }
    return p;
  }

  private static RetryPolicy compile(HttpRetry retry) {
    String on = retry.retryOn() == null ? "" : retry.retryOn();
    int conditions = 0;
    int[] codes = new int[0];
    for (String raw : on.split(",")) {
      String token = raw.trim().toLowerCase(Locale.ROOT);
      if (token.isEmpty()) {
        continue;
      }
      if (token.chars().allMatch(Character::isDigit)) {
        int code = Integer.parseInt(token);
        if (code < 100 || code > 599) {
          throw new IllegalArgumentException("retryOn: \"" + raw.trim() + "\" is not an HTTP status code (100-599)");
        }
        codes = Arrays.copyOf(codes, codes.length + 1);
        codes[codes.length - 1] = code;
        conditions |= ON_STATUS_CODES;
        continue;
      }
      conditions |= condition(token, raw.trim());
    }
    Arrays.sort(codes);
    Duration base = retry.backoff() == null || retry.backoff().isZero() || retry.backoff().isNegative() ? DEFAULT_BASE_INTERVAL : retry.backoff();
    Duration perTry = retry.perTryTimeout() == null || retry.perTryTimeout().isZero() ? null : retry.perTryTimeout();
    return new RetryPolicy(retry.attempts(), perTry, conditions, codes, base, on);
  }

  private static int condition(String token, String raw) {
    return switch (token) {
      case "5xx" -> ON_5XX;
      case "gateway-error" -> ON_GATEWAY_ERROR;
      case "reset" -> ON_RESET;
      case "reset-before-request" -> ON_RESET_BEFORE_REQUEST;
      case "connect-failure" -> ON_CONNECT_FAILURE;
      case "refused-stream" -> ON_REFUSED_STREAM;
      case "retriable-4xx" -> ON_RETRIABLE_4XX;
      case "retriable-status-codes" -> ON_STATUS_CODES;
      case "envoy-ratelimited" -> ON_RATE_LIMITED;
      case "cancelled" -> GRPC_CANCELLED;
      case "deadline-exceeded" -> GRPC_DEADLINE_EXCEEDED;
      case "internal" -> GRPC_INTERNAL;
      case "resource-exhausted" -> GRPC_RESOURCE_EXHAUSTED;
      case "unavailable" -> GRPC_UNAVAILABLE;
      // Accepted by Istio but about headers or HTTP/3 the mesh does not see: never fire.
      case "retriable-headers", "http3-post-connect-failure" -> 0;
      default -> throw new IllegalArgumentException("retryOn: \"" + raw + "\" is not a retry condition Envoy knows");
    };
  }

  /** Retries after the first try (Istio's {@code attempts}). */
  public int maxRetries() {
    return maxRetries;
  }

  /** Null: no per-try deadline (the route's timeout, if any, bounds the whole call). */
  public Duration perTryTimeout() {
    return perTryTimeout;
  }

  public boolean enabled() {
    return maxRetries > 0;
  }

  /** Whether a response with {@code status} (and these headers) is retried. */
  public boolean retriable(int status, Function<String, String> responseHeader) {
    if (conditions == 0) {
      return false;
    }
    if (responseHeader != null && responseHeader.apply("x-envoy-overloaded") != null) {
      return false;
    }
    if ((conditions & ON_5XX) != 0 && status >= 500 && status <= 599) {
      return true;
    }
    if ((conditions & ON_GATEWAY_ERROR) != 0 && status >= 502 && status <= 504) {
      return true;
    }
    if ((conditions & ON_RETRIABLE_4XX) != 0 && status == 409) {
      return true;
    }
    if ((conditions & ON_STATUS_CODES) != 0 && Arrays.binarySearch(statusCodes, status) >= 0) {
      return true;
    }
    if (responseHeader == null) {
      return false;
    }
    if ((conditions & ON_RATE_LIMITED) != 0 && responseHeader.apply("x-envoy-ratelimited") != null) {
      return true;
    }
    if ((conditions & ANY_GRPC) != 0) {
      String grpc = responseHeader.apply("grpc-status");
      if (grpc != null) {
        int bit =
            switch (grpc.trim()) {
              case "1" -> GRPC_CANCELLED;
              case "4" -> GRPC_DEADLINE_EXCEEDED;
              case "8" -> GRPC_RESOURCE_EXHAUSTED;
              case "13" -> GRPC_INTERNAL;
              case "14" -> GRPC_UNAVAILABLE;
              default -> 0;
            };
        return (conditions & bit) != 0;
      }
    }
    return false;
  }

  /**
   * Whether an attempt that got no response is retried, by its retry conditions alone. Whether the
   * request body can be sent again (a body over 64 KiB or streamed is retried only when nothing
   * was sent) is the caller's decision, not a retry condition.
   *
   * @param requestSent whether the request had (partly) left when the attempt failed: only
   *     {@code reset-before-request} depends on it (Envoy retries under it only resets before the
   *     request was sent)
   */
  public boolean retriable(FailureKind failure, boolean requestSent) {
    if (failure == null || conditions == 0) {
      return false;
    }
    return switch (failure) {
      case CONNECT_FAILURE -> (conditions & (ANY_NO_RESPONSE | ON_CONNECT_FAILURE | ON_RESET_BEFORE_REQUEST)) != 0;
      case REFUSED_STREAM -> (conditions & (ANY_NO_RESPONSE | ON_REFUSED_STREAM)) != 0
          || (!requestSent && (conditions & ON_RESET_BEFORE_REQUEST) != 0);
      case RESET -> (conditions & ANY_NO_RESPONSE) != 0 || (!requestSent && (conditions & ON_RESET_BEFORE_REQUEST) != 0);
      case PER_TRY_TIMEOUT -> (conditions & ANY_NO_RESPONSE) != 0;
      case OVERFLOW, CANCELLED, OTHER -> false;
    };
  }

  /**
   * The wait before retry number {@code retryNumber} (1 for the first retry): Envoy's fully
   * jittered exponential backoff, uniform in [0, (2^n − 1) × base), capped at 10 × base.
   *
   * <p>Resilience4j's {@code IntervalFunction.ofExponentialRandomBackoff} randomises around the
   * interval (± a factor) instead of drawing from [0, interval), and draws from its own random
   * source; that is a different distribution from Envoy's, and tests could not fix its seed, so it
   * is not used here.
   */
  public long backoffNanos(int retryNumber, RandomGenerator random) {
    int n = Math.max(1, Math.min(retryNumber, 30));
    long ceiling = ((1L << n) - 1) > maxNanos / baseNanos ? maxNanos : ((1L << n) - 1) * baseNanos;
    ceiling = Math.min(ceiling, maxNanos);
    return random.nextLong(ceiling);
  }

  /** The upper bound of {@link #backoffNanos} for every retry: 10 × base. */
  public long maxBackoffNanos() {
    return maxNanos;
  }

  @Override
  public String toString() {
    return "RetryPolicy{retries=" + maxRetries + ", perTryTimeout=" + perTryTimeout + ", retryOn=" + retryOn + "}";
  }
}
