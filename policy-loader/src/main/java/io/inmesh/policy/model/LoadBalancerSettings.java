package io.inmesh.policy.model;

import java.time.Duration;
import java.util.Map;

/**
 * Istio LoadBalancerSettings: one of {@code simple} or {@code consistentHash}.
 *
 * @param simple UNSPECIFIED when neither is given (Istio picks its default, LEAST_REQUEST)
 * @param localityLbSetting kept as written (not enforced)
 */
public record LoadBalancerSettings(
    SimpleLb simple, ConsistentHash consistentHash, Map<String, Object> localityLbSetting, Duration warmup) {

  public static final LoadBalancerSettings DEFAULT = new LoadBalancerSettings(SimpleLb.UNSPECIFIED, null, null, null);

  public enum SimpleLb {
    UNSPECIFIED,
    LEAST_CONN,
    RANDOM,
    PASSTHROUGH,
    ROUND_ROBIN,
    LEAST_REQUEST,
    /**
     * inmesh's opt-in latency-aware balancer (Istio has none): power of two choices over Linkerd's
     * peak-EWMA cost. Never written as {@code simple}; bound from the DestinationRule annotation
     * {@code inmesh.io/load-balancer: PEAK_EWMA}.
     */
    PEAK_EWMA
  }

  /**
   * @param key what is hashed
   * @param name the header, cookie or query parameter name (null for USE_SOURCE_IP)
   * @param cookiePath, cookieTtl for HTTP_COOKIE (the cookie is generated when a TTL is given)
   * @param maglev true for the Maglev algorithm, false for ring hash (Istio's default)
   * @param size minimum ring size (default 1024) or Maglev table size (default 65537)
   */
  public record ConsistentHash(
      HashKey key, String name, String cookiePath, Duration cookieTtl, boolean maglev, long size) {}

  public enum HashKey {
    HTTP_HEADER_NAME,
    HTTP_COOKIE,
    USE_SOURCE_IP,
    HTTP_QUERY_PARAMETER_NAME
  }
}
