package io.inmesh.control.view;

import io.inmesh.policy.compile.HostNames;
import io.inmesh.policy.compile.ServiceKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The served policy, indexed for per-workload views: host-bound resources (VirtualService,
 * DestinationRule, ServiceEntry) by the services they name, namespace-bound ones
 * (PeerAuthentication, AuthorizationPolicy) by namespace, and the Sidecars that scope workloads.
 * Built once per policy change, read by every view build.
 */
final class PolicyIndex {

  /** Istio's default config root namespace: a selector-less Sidecar there is the mesh-wide default. */
  static final String ROOT_NAMESPACE = "istio-system";

  /** One resource, where it sits in the served order, and what it is about. */
  record Entry(int position, Map<String, Object> tree, String kind, String namespace, Set<ServiceKey> hosts,
      Set<ServiceKey> destinations, List<String> exportTo, boolean wildcardHost) {

    /** Istio's exportTo: absent or "*" everywhere, "." its own namespace, "~" nowhere, else those namespaces. */
    boolean visibleIn(String workloadNamespace) {
      if (exportTo.isEmpty()) {
        return true;
      }
      for (String e : exportTo) {
        if (e.equals("*") || e.equals(workloadNamespace) || (e.equals(".") && namespace.equals(workloadNamespace))) {
          return true;
        }
      }
      return false;
    }
  }

  final List<Entry> all = new ArrayList<>();
  final Map<ServiceKey, List<Entry>> byHost = new HashMap<>();
  final List<Entry> wildcardHosted = new ArrayList<>();
  final Map<String, List<Entry>> peerAuthByNamespace = new HashMap<>();
  final Map<String, List<Entry>> authzByNamespace = new HashMap<>();
  final List<Entry> everywhere = new ArrayList<>();
  final Map<String, Entry> sidecarTrees = new HashMap<>();
  /** Selecting Sidecars by namespace, then by one of their selector's {@code key=value} pairs. */
  private final Map<String, Map<String, List<SidecarScope>>> selectingSidecars = new HashMap<>();
  private final Map<String, SidecarScope> namespaceSidecars = new HashMap<>();
  final Map<String, SidecarScope> sidecars = new HashMap<>();

  static PolicyIndex of(List<Map<String, Object>> trees) {
    PolicyIndex ix = new PolicyIndex();
    int pos = 0;
    for (Map<String, Object> t : trees) {
      ix.add(pos++, t);
    }
    return ix;
  }

  /** The Sidecar that scopes a workload, or null: then it sees everything (Istio's default). */
  SidecarScope sidecarFor(String namespace, Map<String, String> labels) {
    SidecarScope chosen = null;
    Map<String, List<SidecarScope>> byLabel = selectingSidecars.getOrDefault(namespace, Map.of());
    for (Map.Entry<String, String> label : labels.entrySet()) {
      for (SidecarScope s : byLabel.getOrDefault(label.getKey() + "=" + label.getValue(), List.of())) {
        // Istio leaves two Sidecars selecting one workload undefined; the first by name wins here
        if (s.selects(labels) && (chosen == null || s.name().compareTo(chosen.name()) < 0)) {
          chosen = s;
        }
      }
    }
    if (chosen != null) {
      return chosen;
    }
    SidecarScope ns = namespaceSidecars.get(namespace);
    return ns != null ? ns : namespaceSidecars.get(ROOT_NAMESPACE);
  }

  @SuppressWarnings("unchecked")
  private void add(int position, Map<String, Object> tree) {
    String kind = String.valueOf(tree.get("kind"));
    Map<String, Object> meta = tree.get("metadata") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    Map<String, Object> spec = tree.get("spec") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    String ns = String.valueOf(meta.getOrDefault("namespace", ""));
    Set<ServiceKey> hosts = new LinkedHashSet<>();
    Set<ServiceKey> destinations = new LinkedHashSet<>();
    boolean wildcard = false;
    switch (kind) {
      case "VirtualService", "ServiceEntry" -> {
        for (String h : strings(spec.get("hosts"))) {
          wildcard |= addHost(h, ns, hosts);
        }
        if (kind.equals("VirtualService")) {
          collectDestinations(spec, ns, destinations, 0);
        }
      }
      case "DestinationRule" -> {
        if (spec.get("host") instanceof String h) {
          wildcard |= addHost(h, ns, hosts);
        }
      }
      default -> {}
    }
    Entry e = new Entry(position, tree, kind, ns, Set.copyOf(hosts), Set.copyOf(destinations), strings(spec.get("exportTo")), wildcard);
    all.add(e);
    switch (kind) {
      case "VirtualService", "ServiceEntry", "DestinationRule" -> {
        if (wildcard) {
          wildcardHosted.add(e);
        }
        for (ServiceKey k : hosts) {
          byHost.computeIfAbsent(k, x -> new ArrayList<>()).add(e);
        }
      }
      case "PeerAuthentication" -> peerAuthByNamespace.computeIfAbsent(ns, x -> new ArrayList<>()).add(e);
      case "AuthorizationPolicy" -> authzByNamespace.computeIfAbsent(ns, x -> new ArrayList<>()).add(e);
      case "Sidecar" -> {
        SidecarScope s = SidecarScope.of(tree);
        sidecars.put(s.ref(), s);
        sidecarTrees.put(s.ref(), e);
        if (s.selector().isEmpty()) {
          namespaceSidecars.merge(ns, s, (a, b) -> a.name().compareTo(b.name()) <= 0 ? a : b);
        } else {
          Map.Entry<String, String> first = new java.util.TreeMap<>(s.selector()).firstEntry();
          selectingSidecars
              .computeIfAbsent(ns, x -> new HashMap<>())
              .computeIfAbsent(first.getKey() + "=" + first.getValue(), x -> new ArrayList<>())
              .add(s);
        }
      }
      default -> everywhere.add(e); // MeshConfig, and kinds inmesh keeps without acting on
    }
  }

  /** @return true for a wildcard host ({@code *.example.com}), which no single service key names */
  private static boolean addHost(String host, String namespace, Set<ServiceKey> out) {
    String h = HostNames.normalize(host);
    if (h == null || h.isEmpty()) {
      return false;
    }
    if (h.startsWith("*")) {
      return true;
    }
    ServiceKey k = HostNames.meshServiceOf(h, namespace);
    out.add(k != null ? k : ServiceKey.external(h));
    return false;
  }

  /** Every {@code destination.host} and {@code mirror.host} under a VirtualService's routes. */
  private static void collectDestinations(Object node, String namespace, Set<ServiceKey> out, int depth) {
    if (depth > 32) {
      return;
    }
    if (node instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = String.valueOf(e.getKey());
        if ((key.equals("destination") || key.equals("mirror")) && e.getValue() instanceof Map<?, ?> d
            && d.get("host") instanceof String h) {
          addHost(h, namespace, out);
        } else {
          collectDestinations(e.getValue(), namespace, out, depth + 1);
        }
      }
    } else if (node instanceof List<?> l) {
      for (Object o : l) {
        collectDestinations(o, namespace, out, depth + 1);
      }
    }
  }

  private static List<String> strings(Object o) {
    List<String> out = new ArrayList<>();
    if (o instanceof List<?> l) {
      for (Object x : l) {
        if (x != null) {
          out.add(String.valueOf(x));
        }
      }
    }
    return out;
  }
}
