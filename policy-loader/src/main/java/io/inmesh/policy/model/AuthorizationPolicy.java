package io.inmesh.policy.model;

import java.util.List;
import java.util.Map;

/**
 * Istio AuthorizationPolicy.
 *
 * @param selector null: every workload of the namespace (of the mesh in the root namespace)
 * @param rules null when {@code rules} is absent (the policy matches nothing), otherwise as written
 *     ({@code [{}]} matches everything)
 * @param dryRun the {@code istio.io/dry-run: "true"} annotation: evaluated, never decides
 * @param targetRefs attached with targetRefs (gateways, waypoints): applies to no inmesh workload
 */
public record AuthorizationPolicy(
    ResourceRef ref,
    String file,
    Map<String, String> selector,
    Action action,
    String provider,
    List<Rule> rules,
    boolean dryRun,
    boolean targetRefs)
    implements PolicyResource {

  public enum Action {
    ALLOW,
    DENY,
    AUDIT,
    CUSTOM
  }

  /** Empty lists were not given (match anything). */
  public record Rule(List<Source> from, List<Operation> to, List<Condition> when) {}

  public record Source(
      List<String> principals,
      List<String> notPrincipals,
      List<String> requestPrincipals,
      List<String> notRequestPrincipals,
      List<String> namespaces,
      List<String> notNamespaces,
      List<String> serviceAccounts,
      List<String> notServiceAccounts,
      List<String> ipBlocks,
      List<String> notIpBlocks,
      List<String> remoteIpBlocks,
      List<String> notRemoteIpBlocks,
      List<String> trustDomains,
      List<String> notTrustDomains) {}

  public record Operation(
      List<String> hosts,
      List<String> notHosts,
      List<String> ports,
      List<String> notPorts,
      List<String> methods,
      List<String> notMethods,
      List<String> paths,
      List<String> notPaths) {}

  public record Condition(String key, List<String> values, List<String> notValues) {}
}
