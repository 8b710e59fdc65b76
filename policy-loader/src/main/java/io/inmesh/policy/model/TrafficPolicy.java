package io.inmesh.policy.model;

import java.util.List;

/**
 * Istio TrafficPolicy as written: a null group was not given. {@link #effective} applies Istio's
 * inheritance to get what a destination actually uses, and {@link #loadBalancerOrDefault()} and
 * friends fill in Istio's defaults.
 */
public record TrafficPolicy(
    LoadBalancerSettings loadBalancer,
    ConnectionPoolSettings connectionPool,
    OutlierDetection outlierDetection,
    ClientTlsSettings tls,
    List<PortTrafficPolicy> portLevelSettings,
    RetryBudget retryBudget) {

  public static final TrafficPolicy NONE = new TrafficPolicy(null, null, null, null, List.of(), null);

  /**
   * What a destination uses (https://istio.io/latest/docs/reference/config/networking/destination-rule/):
   * the DestinationRule's top-level policy; its port-level settings for {@code port} replace the
   * four groups wholesale ("will not be inherited when overridden by port-level settings, i.e.
   * default values will be applied to fields omitted"); then each group the subset sets replaces
   * the inherited one ("Settings specified at the subset level will override the corresponding
   * settings specified at the DestinationRule level"), and the subset's own port-level settings
   * replace the four groups again. Outlier detection is on only when some level sets it.
   *
   * @param top the DestinationRule's policy, or null
   * @param subset the subset's policy, or null
   * @param port the destination port, or null when unknown (port-level settings then do not apply)
   */
  public static TrafficPolicy effective(TrafficPolicy top, TrafficPolicy subset, Integer port) {
    TrafficPolicy merged = top == null ? NONE : top.atPort(port);
    if (subset == null) {
      return merged;
    }
    TrafficPolicy s = subset;
    merged =
        new TrafficPolicy(
            s.loadBalancer != null ? s.loadBalancer : merged.loadBalancer,
            s.connectionPool != null ? s.connectionPool : merged.connectionPool,
            s.outlierDetection != null ? s.outlierDetection : merged.outlierDetection,
            s.tls != null ? s.tls : merged.tls,
            List.of(),
            s.retryBudget != null ? s.retryBudget : merged.retryBudget);
    PortTrafficPolicy p = s.portSettings(port);
    return p == null ? merged : merged.replacedBy(p);
  }

  /** This policy for one port: its port-level settings (if any) replace the four groups. */
  TrafficPolicy atPort(Integer port) {
    PortTrafficPolicy p = portSettings(port);
    TrafficPolicy self = new TrafficPolicy(loadBalancer, connectionPool, outlierDetection, tls, List.of(), retryBudget);
    return p == null ? self : self.replacedBy(p);
  }

  private TrafficPolicy replacedBy(PortTrafficPolicy p) {
    return new TrafficPolicy(p.loadBalancer(), p.connectionPool(), p.outlierDetection(), p.tls(), List.of(), retryBudget);
  }

  public PortTrafficPolicy portSettings(Integer port) {
    if (port == null) {
      return null;
    }
    for (PortTrafficPolicy p : portLevelSettings) {
      if (p.port() == port) {
        return p;
      }
    }
    return null;
  }

  public LoadBalancerSettings loadBalancerOrDefault() {
    return loadBalancer == null ? LoadBalancerSettings.DEFAULT : loadBalancer;
  }

  public ConnectionPoolSettings connectionPoolOrDefault() {
    return connectionPool == null ? ConnectionPoolSettings.DEFAULT : connectionPool;
  }

  /** Null when no level enables outlier detection (Istio ejects nothing then). */
  public OutlierDetection outlierDetectionOrNull() {
    return outlierDetection;
  }
}
