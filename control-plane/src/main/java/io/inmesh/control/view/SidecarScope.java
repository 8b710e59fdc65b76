package io.inmesh.control.view;

import io.inmesh.policy.compile.HostNames;
import io.inmesh.policy.compile.ServiceKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An Istio {@code Sidecar}'s egress scope: which hosts the workloads it selects may reach, so that
 * they are sent only those services' endpoints and policy. Semantics from
 * https://istio.io/latest/docs/reference/config/networking/sidecar/ : each egress host is
 * {@code namespace/dnsName}; namespace {@code *} is any, {@code .} the Sidecar's own, {@code ~}
 * none; dnsName {@code *} is every service of that namespace, {@code *.suffix} a wildcard, else an
 * FQDN (inmesh also takes {@code name} and {@code name.namespace}, as the rest of its policy does).
 * A Sidecar with a {@code workloadSelector} applies to the workloads whose labels it selects; one
 * without applies to every other workload of its namespace; one without in the root namespace
 * applies to namespaces that have none.
 *
 * @param selector the workloadSelector labels; empty for a namespace-wide Sidecar
 * @param hosts every egress listener's hosts, merged (inmesh scopes by host, not by port)
 */
public record SidecarScope(String namespace, String name, Map<String, String> selector, List<EgressHost> hosts) {

  /** One {@code namespace/dnsName} egress host. */
  public record EgressHost(String namespace, String dnsName) {

    boolean matches(ServiceKey service, String workloadNamespace) {
      // "." is the Sidecar's namespace, which is the workload's (a root-namespace Sidecar applies to each in turn)
      String ns = namespace.equals(".") ? workloadNamespace : namespace;
      if (ns.equals("~")) {
        return false;
      }
      if (service.isExternal()) {
        // a ServiceEntry host: namespaces scope where the entry lives, which an external key does not carry
        return dnsMatches(service.name());
      }
      if (!ns.equals("*") && !ns.equals(service.namespace())) {
        return false;
      }
      if (dnsName.equals("*")) {
        return true;
      }
      if (dnsName.startsWith("*.")) {
        return service.fqdn().endsWith(dnsName.substring(1));
      }
      ServiceKey named = HostNames.serviceOf(dnsName, ns.equals("*") ? service.namespace() : ns);
      return service.equals(named);
    }

    private boolean dnsMatches(String host) {
      if (dnsName.equals("*")) {
        return true;
      }
      if (dnsName.startsWith("*.")) {
        return host.endsWith(dnsName.substring(1));
      }
      return HostNames.normalize(dnsName).equals(HostNames.normalize(host));
    }

    /** Whether this host names one service only (no wildcard), so scope can be looked up, not scanned. */
    boolean exact() {
      return !dnsName.startsWith("*") && !namespace.equals("*") && !namespace.equals("~");
    }

    /** The one service an {@linkplain #exact() exact} host names, or null (e.g. an external host). */
    ServiceKey service(String workloadNamespace) {
      String ns = namespace.equals(".") ? workloadNamespace : namespace;
      return HostNames.meshServiceOf(dnsName, ns);
    }
  }

  /** Reads a Sidecar resource tree (already validated as far as inmesh validates it). */
  @SuppressWarnings("unchecked")
  static SidecarScope of(Map<String, Object> tree) {
    Map<String, Object> meta = map(tree.get("metadata"));
    Map<String, Object> spec = map(tree.get("spec"));
    String ns = String.valueOf(meta.get("namespace"));
    String name = String.valueOf(meta.get("name"));
    Map<String, String> selector = new java.util.TreeMap<>();
    Object ws = spec.get("workloadSelector");
    if (ws instanceof Map<?, ?> w && w.get("labels") instanceof Map<?, ?> labels) {
      labels.forEach((k, v) -> selector.put(String.valueOf(k), String.valueOf(v)));
    }
    List<EgressHost> hosts = new ArrayList<>();
    if (spec.get("egress") instanceof List<?> egress) {
      for (Object listener : egress) {
        if (listener instanceof Map<?, ?> l && l.get("hosts") instanceof List<?> hs) {
          for (Object h : hs) {
            String text = String.valueOf(h).trim();
            int slash = text.indexOf('/');
            hosts.add(
                slash < 0
                    ? new EgressHost("*", text) // Istio requires the namespace; a bare host means any namespace
                    : new EgressHost(text.substring(0, slash), text.substring(slash + 1)));
          }
        }
      }
    } else {
      // no egress section: Istio's default is every host of every namespace
      hosts.add(new EgressHost("*", "*"));
    }
    return new SidecarScope(ns, name, Map.copyOf(selector), List.copyOf(hosts));
  }

  public String ref() {
    return namespace + "/" + name;
  }

  boolean selects(Map<String, String> labels) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** Whether the workloads under this Sidecar (in {@code workloadNamespace}) may reach {@code service}. */
  boolean allows(ServiceKey service, String workloadNamespace) {
    for (EgressHost h : hosts) {
      if (h.matches(service, workloadNamespace)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the scope is a fixed list of services (then a new service elsewhere never enters it). */
  boolean exact() {
    return hosts.stream().allMatch(EgressHost::exact);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }
}
