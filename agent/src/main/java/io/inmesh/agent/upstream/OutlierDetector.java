package io.inmesh.agent.upstream;

import io.inmesh.policy.model.OutlierDetection;

/**
 * Envoy's consecutive-error outlier detection, as Istio configures it
 * (https://istio.io/latest/docs/reference/config/networking/destination-rule/#OutlierDetection,
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier):
 *
 * <ul>
 *   <li>consecutive5xxErrors: consecutive 5xx responses (or, when httpErrorCodes is given, those
 *       codes). 0 turns it off.
 *   <li>consecutiveGatewayErrors: consecutive 502, 503, 504. 0 (the default) turns it off.
 *   <li>Failures with no response (connect failure, reset, timeout): with
 *       splitExternalLocalOriginErrors false (the default) they count as gateway errors, so toward
 *       both counters, as Envoy maps them to 502/503/504; with it true they count only toward
 *       consecutiveLocalOriginFailures, and any response resets that counter.
 *   <li>Any other response resets the 5xx and gateway counters; a non-gateway 5xx resets the gateway one.
 * </ul>
 *
 * Resilience4j's CircuitBreaker is not used: it opens on a failure rate over a sliding window and
 * probes in half-open state, while Envoy ejects one host on N consecutive errors for base × times
 * ejected, returns it whole when the time is up, and limits how many hosts are out at once
 * (maxEjectionPercent), which a per-host breaker cannot see.
 */
final class OutlierDetector {
  private OutlierDetector() {}

  /** Counts {@code result} on {@code e}; true when a threshold was reached (the caller ejects). */
  static boolean record(EndpointState e, AttemptResult result, OutlierDetection od) {
    synchronized (e) {
      if (result.localOrigin()) {
        if (od.splitExternalLocalOriginErrors()) {
          e.consecutiveLocalOrigin++;
          return reached(e.consecutiveLocalOrigin, od.consecutiveLocalOriginFailures());
        }
        e.consecutive5xx++;
        e.consecutiveGateway++;
        return reached(e.consecutive5xx, od.consecutive5xxErrors()) || reached(e.consecutiveGateway, od.consecutiveGatewayErrors());
      }
      int status = result.status();
      e.consecutiveLocalOrigin = 0;
      boolean error = od.httpErrorCodes() == null || od.httpErrorCodes().isEmpty()
          ? status >= 500 && status <= 599
          : od.httpErrorCodes().contains(status);
      if (!error) {
        e.consecutive5xx = 0;
        e.consecutiveGateway = 0;
        return false;
      }
      e.consecutive5xx++;
      if (status >= 502 && status <= 504) {
        e.consecutiveGateway++;
      } else {
        e.consecutiveGateway = 0;
      }
      return reached(e.consecutive5xx, od.consecutive5xxErrors()) || reached(e.consecutiveGateway, od.consecutiveGatewayErrors());
    }
  }

  private static boolean reached(int count, int threshold) {
    return threshold > 0 && count >= threshold;
  }
}
