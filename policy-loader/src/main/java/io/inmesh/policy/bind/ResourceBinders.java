package io.inmesh.policy.bind;

import io.inmesh.policy.model.OtherResource;
import io.inmesh.policy.model.PolicyResource;
import io.inmesh.policy.model.ResourceRef;
import java.util.Map;
import java.util.Set;

/**
 * Dispatches a document to the binder of its kind after checking apiVersion, kind and metadata.
 * Kinds Istio has but inmesh does not enforce yet are kept and reported as such, never silently
 * dropped.
 */
public final class ResourceBinders {

  static final Set<String> NETWORKING_VERSIONS =
      Set.of("networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3");
  static final Set<String> SECURITY_VERSIONS = Set.of("security.istio.io/v1", "security.istio.io/v1beta1");

  static final Set<String> INMESH_VERSIONS = Set.of("inmesh.dev/v1alpha1");

  private static final Map<String, Set<String>> KIND_VERSIONS =
      Map.ofEntries(
          Map.entry("VirtualService", NETWORKING_VERSIONS),
          Map.entry("DestinationRule", NETWORKING_VERSIONS),
          Map.entry("ServiceEntry", NETWORKING_VERSIONS),
          Map.entry("Gateway", NETWORKING_VERSIONS),
          Map.entry("Sidecar", NETWORKING_VERSIONS),
          Map.entry("WorkloadEntry", NETWORKING_VERSIONS),
          Map.entry("WorkloadGroup", NETWORKING_VERSIONS),
          Map.entry("EnvoyFilter", Set.of("networking.istio.io/v1alpha3")),
          Map.entry("PeerAuthentication", SECURITY_VERSIONS),
          Map.entry("AuthorizationPolicy", SECURITY_VERSIONS),
          Map.entry("RequestAuthentication", SECURITY_VERSIONS),
          Map.entry("MeshConfig", INMESH_VERSIONS));

  /** What a kind inmesh keeps but does not act on means for the user. */
  private static final Map<String, String> NOT_ENFORCED_KINDS =
      Map.of(
          "Gateway", "gateways are Envoy listeners at the mesh edge; inmesh has none",
          "Sidecar", "the control plane scopes each workload's view to the Sidecar's egress hosts; its other fields (ingress, outboundTrafficPolicy) are not applied",
          "WorkloadEntry", "inmesh's registry is the agents that register; WorkloadEntries add no endpoints",
          "WorkloadGroup", "inmesh's registry is the agents that register",
          "EnvoyFilter", "there is no Envoy in inmesh",
          "RequestAuthentication", "inmesh does not validate JWTs yet: no request has a request principal");

  private static final Set<String> TOP_LEVEL = Set.of("apiVersion", "kind", "metadata", "spec", "status");
  private static final Set<String> METADATA =
      Set.of(
          "name",
          "namespace",
          "labels",
          "annotations",
          "uid",
          "resourceVersion",
          "generation",
          "creationTimestamp",
          "managedFields",
          "ownerReferences",
          "finalizers",
          "generateName",
          "selfLink");

  private ResourceBinders() {}

  /** Binds one resource document; findings go to the cursor's context. */
  public static PolicyResource bind(Cursor root, String defaultNamespace) {
    if (!root.expectMap()) {
      return null;
    }
    String kind = root.get("kind").string();
    String apiVersion = root.get("apiVersion").string();
    Cursor meta = root.get("metadata");
    String name = meta.get("name").string();
    String namespace = meta.get("namespace").string();
    if (namespace == null || namespace.isEmpty()) {
      namespace = defaultNamespace;
    }
    if (kind != null) {
      root.context().resource(kind + " " + namespace + "/" + (name == null ? "<unnamed>" : name));
    }
    if (kind == null) {
      if (!root.get("kind").present()) {
        root.error("missing kind", "every resource needs apiVersion, kind, metadata.name and spec");
      }
      return null;
    }
    Set<String> versions = KIND_VERSIONS.get(kind);
    if (versions == null) {
      root.get("kind")
          .warn(
              "kind " + kind + " is not an Istio resource inmesh knows; ignored",
              "inmesh reads VirtualService, DestinationRule, ServiceEntry, PeerAuthentication, AuthorizationPolicy and"
                  + " its own MeshConfig (inmesh.dev/v1alpha1)");
      return null;
    }
    if (apiVersion == null) {
      if (!root.get("apiVersion").present()) {
        root.error("missing apiVersion", "use one of " + sorted(versions));
      }
    } else if (!versions.contains(apiVersion)) {
      root.get("apiVersion")
          .error("apiVersion " + apiVersion + " does not serve kind " + kind, "use one of " + sorted(versions));
    }
    if (!meta.present()) {
      root.error("missing metadata", "add metadata.name (and metadata.namespace, default \"" + defaultNamespace + "\")");
    } else if (meta.expectMap()) {
      if (name == null && !meta.get("name").present()) {
        meta.error("missing metadata.name", null);
      } else if (name != null && !DnsNames.isDns1123Subdomain(name)) {
        meta.get("name").error("\"" + name + "\" is not a valid name", "use lower-case letters, digits, '-' and '.'");
      }
      if (!DnsNames.isDns1123Label(namespace)) {
        meta.get("namespace").error("\"" + namespace + "\" is not a valid namespace", "use lower-case letters, digits and '-'");
      }
      meta.checkFields(METADATA, null);
    }
    root.checkFields(TOP_LEVEL, null);
    Cursor spec = root.get("spec");
    if (!spec.present()) {
      if (kind.equals("AuthorizationPolicy") || kind.equals("PeerAuthentication")) {
        // a policy without spec is valid in Kubernetes and means the same as spec: {}
        spec = Cursor.root(new java.util.LinkedHashMap<String, Object>(), "spec", root.line(), root.context());
      } else {
        spec.error("missing spec", null);
        return null;
      }
    }
    if (!spec.expectMap() || name == null) {
      return null;
    }
    ResourceRef ref = new ResourceRef(kind, namespace, name);
    String file = root.context().file();
    return switch (kind) {
      case "VirtualService" -> VirtualServiceBinder.bind(ref, file, spec);
      case "DestinationRule" -> DestinationRuleBinder.bind(ref, file, root, spec);
      case "ServiceEntry" -> ServiceEntryBinder.bind(ref, file, spec);
      case "PeerAuthentication" -> PeerAuthenticationBinder.bind(ref, file, spec);
      case "AuthorizationPolicy" -> AuthorizationPolicyBinder.bind(ref, file, root, spec);
      case "MeshConfig" -> MeshConfigBinder.bind(ref, file, spec);
      default -> {
        spec.warn(
            kind + " is parsed but not enforced by this inmesh version: " + NOT_ENFORCED_KINDS.getOrDefault(kind, "ignored"),
            "it is kept and will apply once inmesh enforces " + kind);
        yield new OtherResource(ref, file);
      }
    };
  }

  private static String sorted(Set<String> s) {
    return String.join(", ", new java.util.TreeSet<>(s));
  }
}
