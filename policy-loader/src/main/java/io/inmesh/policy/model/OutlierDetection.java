package io.inmesh.policy.model;

import java.time.Duration;
import java.util.List;

/**
 * Istio OutlierDetection with its documented defaults (istio.io DestinationRule reference):
 * 5 consecutive 5xx, gateway errors off (0), 10s interval, 30s base ejection time (a host stays
 * ejected base × number of ejections), at most 10% ejected, min health 0%.
 *
 * @param consecutiveGatewayErrors 0 when off
 * @param httpErrorCodes empty: every 5xx counts
 */
public record OutlierDetection(
    int consecutive5xxErrors,
    int consecutiveGatewayErrors,
    int consecutiveLocalOriginFailures,
    boolean splitExternalLocalOriginErrors,
    Duration interval,
    Duration baseEjectionTime,
    int maxEjectionPercent,
    int minHealthPercent,
    List<Integer> httpErrorCodes) {

  public static final OutlierDetection DEFAULT =
      new OutlierDetection(5, 0, 5, false, Duration.ofSeconds(10), Duration.ofSeconds(30), 10, 0, List.of());

  /** Istio: ejection time = base ejection time × number of times the host was ejected. */
  public Duration ejectionTime(int ejections) {
    return baseEjectionTime.multipliedBy(Math.max(1, ejections));
  }
}
