package io.inmesh.policy.model;

import java.time.Duration;
import java.util.Objects;

/**
 * Istio HTTPRetry. {@code attempts} is the number of retries (0 disables them); the first try is
 * not counted, so a call makes at most {@code 1 + attempts} requests.
 *
 * @param perTryTimeout null: the route's timeout (none by default)
 * @param retryOn the comma-separated conditions (Envoy names and status codes)
 * @param backoff null: Envoy's default 25 ms base interval
 */
public record HttpRetry(
    int attempts,
    Duration perTryTimeout,
    String retryOn,
    Boolean retryRemoteLocalities,
    Boolean retryIgnorePreviousHosts,
    Duration backoff) {

  /**
   * Istio's default retry conditions: what istiod programs when a route sets no retries, or sets
   * attempts without retryOn (istio/istio pilot/pkg/networking/core/route/retry: Envoy retry_on
   * "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes" with
   * retriable_status_codes [503]). A VirtualService spells a retriable status code as a number in
   * retryOn, so the 503 is written out here.
   */
  public static final String DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503";

  /**
   * Istio's default when a route sets no retries
   * (https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry, attempts
   * defaults to 2): 2 retries on {@link #DEFAULT_RETRY_ON}, preferring other hosts (Envoy's
   * previous-hosts predicate, except under consistent hashing).
   */
  public static final HttpRetry ISTIO_DEFAULT = new HttpRetry(2, null, DEFAULT_RETRY_ON, null, null, null);

  public static final HttpRetry DISABLED = new HttpRetry(0, null, "", null, null, null);

  public boolean enabled() {
    return attempts > 0;
  }

  // equals and hashCode written out: the generated ones link through invokedynamic (ObjectMethods)
  // at first use, spinning method-handle classes at start-up; this record keys the retry-policy
  // caches (issue 13)
  @Override
  public boolean equals(Object o) {
    return o instanceof HttpRetry r
        && attempts == r.attempts
        && Objects.equals(perTryTimeout, r.perTryTimeout)
        && Objects.equals(retryOn, r.retryOn)
        && Objects.equals(retryRemoteLocalities, r.retryRemoteLocalities)
        && Objects.equals(retryIgnorePreviousHosts, r.retryIgnorePreviousHosts)
        && Objects.equals(backoff, r.backoff);
  }

  @Override
  public int hashCode() {
    return Objects.hash(attempts, perTryTimeout, retryOn, retryRemoteLocalities, retryIgnorePreviousHosts, backoff);
  }
}
