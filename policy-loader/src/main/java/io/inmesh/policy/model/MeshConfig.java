package io.inmesh.policy.model;

import java.time.Duration;

/**
 * inmesh's own mesh-wide settings ({@code apiVersion: inmesh.dev/v1alpha1, kind: MeshConfig}), the
 * few Istio keeps in its MeshConfig that an in-process mesh needs. At most one per policy set.
 *
 * @param rootNamespace where mesh-wide PeerAuthentication / AuthorizationPolicy / DestinationRule
 *     live (Istio's default: istio-system)
 * @param defaultRetryPolicy what a route without {@code retries} gets
 */
public record MeshConfig(
    ResourceRef ref,
    String file,
    String trustDomain,
    String rootNamespace,
    HttpRetry defaultRetryPolicy,
    RetryBudget retryBudget,
    OutlierDetection outlierDetection,
    Duration startupWait)
    implements PolicyResource {

  public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";
  public static final String DEFAULT_ROOT_NAMESPACE = "istio-system";

  /** What applies when the policy set has no MeshConfig. */
  public static final MeshConfig DEFAULT =
      new MeshConfig(
          null,
          null,
          DEFAULT_TRUST_DOMAIN,
          DEFAULT_ROOT_NAMESPACE,
          HttpRetry.ISTIO_DEFAULT,
          RetryBudget.DEFAULT,
          OutlierDetection.DEFAULT,
          Duration.ofSeconds(5));
}
