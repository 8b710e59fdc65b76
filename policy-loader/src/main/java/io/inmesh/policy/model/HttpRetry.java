package io.inmesh.policy.model;

import java.time.Duration;

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

  /** Istio's documented retryOn default. */
  public static final String DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled";

  /**
   * Istio's cluster-wide default when a route sets no retries
   * (https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute).
   */
  public static final HttpRetry ISTIO_DEFAULT = new HttpRetry(2, null, DEFAULT_RETRY_ON, null, null, null);

  public static final HttpRetry DISABLED = new HttpRetry(0, null, "", null, null, null);

  public boolean enabled() {
    return attempts > 0;
  }
}
