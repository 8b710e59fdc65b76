package io.inmesh.policy.bind;

import io.inmesh.policy.Enforcement;
import io.inmesh.policy.model.HttpRetry;
import io.inmesh.policy.model.MeshConfig;
import io.inmesh.policy.model.OutlierDetection;
import io.inmesh.policy.model.ResourceRef;
import io.inmesh.policy.model.RetryBudget;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * inmesh's MeshConfig ({@code apiVersion: inmesh.dev/v1alpha1}): the mesh-wide settings an
 * in-process mesh needs, with Istio's defaults.
 *
 * <pre>
 * apiVersion: inmesh.dev/v1alpha1
 * kind: MeshConfig
 * metadata: {name: mesh}
 * spec:
 *   trustDomain: cluster.local
 *   rootNamespace: istio-system
 *   defaultRetryPolicy: {attempts: 2, retryOn: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503"}
 *   retryBudget: {percent: 20, minRetryConcurrency: 3}
 *   outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 10}
 *   startupWait: 5s
 * </pre>
 */
final class MeshConfigBinder {
  private MeshConfigBinder() {}

  static MeshConfig bind(ResourceRef ref, String file, Cursor spec) {
    spec.checkFields(
        Set.of("trustDomain", "rootNamespace", "defaultRetryPolicy", "retryBudget", "outlierDetection", "startupWait"),
        Map.of("defaultHttpRetryPolicy", "inmesh calls this defaultRetryPolicy", "rootNamespaces", "rootNamespace takes one namespace"));
    MeshConfig d = MeshConfig.DEFAULT;
    String trustDomain = spec.get("trustDomain").string();
    if (trustDomain != null && !DnsNames.isDns1123Subdomain(trustDomain.toLowerCase(java.util.Locale.ROOT))) {
      spec.get("trustDomain").error("\"" + trustDomain + "\" is not a valid trust domain", "e.g. cluster.local");
      trustDomain = null;
    }
    String root = spec.get("rootNamespace").string();
    if (root != null && !DnsNames.isDns1123Label(root)) {
      spec.get("rootNamespace").error("\"" + root + "\" is not a valid namespace", null);
      root = null;
    }
    HttpRetry retry = d.defaultRetryPolicy();
    Cursor rc = spec.get("defaultRetryPolicy");
    if (rc.present() && rc.expectMap()) {
      rc.checkFields(Set.of("attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities", "retryIgnorePreviousHosts", "backoff"), null);
      Integer attempts = rc.get("attempts").integer(0, Integer.MAX_VALUE);
      String retryOn = rc.get("retryOn").string();
      if (retryOn != null) {
        for (String p : retryOn.split(",", -1)) {
          String t = p.trim();
          if (!VirtualServiceBinder.RETRY_ON.contains(t) && !t.matches("[1-5][0-9][0-9]")) {
            rc.get("retryOn").error("\"" + t + "\" is not a valid retryOn policy", null);
          }
        }
      }
      retry =
          new HttpRetry(
              attempts == null ? d.defaultRetryPolicy().attempts() : attempts,
              rc.get("perTryTimeout").duration(false),
              retryOn == null || retryOn.isEmpty() ? HttpRetry.DEFAULT_RETRY_ON : retryOn,
              rc.get("retryRemoteLocalities").bool(),
              rc.get("retryIgnorePreviousHosts").bool(),
              rc.get("backoff").duration(false));
    }
    RetryBudget budget = TrafficPolicyBinder.retryBudget(spec.get("retryBudget"));
    spec.get("retryBudget").notEnforced(Enforcement.MESH_RETRY_BUDGET);
    OutlierDetection od = spec.get("outlierDetection").present() ? TrafficPolicyBinder.outlierDetection(spec.get("outlierDetection")) : null;
    Duration startup = spec.get("startupWait").duration(true);
    spec.get("startupWait").notEnforced(Enforcement.STARTUP_WAIT);
    return new MeshConfig(
        ref,
        file,
        trustDomain == null ? d.trustDomain() : trustDomain,
        root == null ? d.rootNamespace() : root,
        retry,
        budget == null ? d.retryBudget() : budget,
        od == null ? d.outlierDetection() : od,
        startup == null ? d.startupWait() : startup);
  }
}
