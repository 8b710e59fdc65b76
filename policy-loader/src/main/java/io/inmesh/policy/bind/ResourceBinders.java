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

  private static final Map<String, Set<String>> KIND_VERSIONS =
      Map.of(
          "VirtualService", NETWORKING_VERSIONS,
          "DestinationRule", NETWORKING_VERSIONS,
          "ServiceEntry", NETWORKING_VERSIONS,
          "Gateway", NETWORKING_VERSIONS,
          "Sidecar", NETWORKING_VERSIONS,
          "PeerAuthentication", SECURITY_VERSIONS,
          "AuthorizationPolicy", SECURITY_VERSIONS,
          "RequestAuthentication", SECURITY_VERSIONS);

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
              "inmesh reads VirtualService, DestinationRule, ServiceEntry, PeerAuthentication and AuthorizationPolicy");
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
      spec.error("missing spec", null);
      return null;
    }
    if (!spec.expectMap() || name == null) {
      return null;
    }
    ResourceRef ref = new ResourceRef(kind, namespace, name);
    String file = root.context().file();
    return switch (kind) {
      case "VirtualService" -> VirtualServiceBinder.bind(ref, file, spec);
      case "DestinationRule" -> DestinationRuleBinder.bind(ref, file, spec);
      default -> {
        spec.warn(
            kind + " is parsed but not enforced by this inmesh version",
            "it is kept and will apply once inmesh enforces " + kind);
        yield new OtherResource(ref, file);
      }
    };
  }

  private static String sorted(Set<String> s) {
    return String.join(", ", new java.util.TreeSet<>(s));
  }
}
