package io.inmesh.policy.compile;

import io.inmesh.bootstrap.OutboundRequest;
import io.inmesh.policy.model.DestinationRule;
import io.inmesh.policy.model.HttpRoute;
import io.inmesh.policy.model.PolicyResource;
import io.inmesh.policy.model.RouteDestination;
import io.inmesh.policy.model.Subset;
import io.inmesh.policy.model.VirtualService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot compiled for one workload: immutable, indexed so that the route decision for a call is
 * one hash lookup by host plus a scan of that host's rules. Hosts that are not mesh services miss
 * the lookup and pass through untouched.
 */
public final class RouteTable {

  public static final RouteTable EMPTY =
      new RouteTable("", 0, null, Map.of(), List.of(), List.of());

  private final String version;
  private final long generation;
  private final Workload workload;
  private final Map<String, HostRoute> byAlias;
  private final List<HostRoute> routes;
  private final List<String> warnings;

  private RouteTable(
      String version,
      long generation,
      Workload workload,
      Map<String, HostRoute> byAlias,
      List<HostRoute> routes,
      List<String> warnings) {
    this.version = version;
    this.generation = generation;
    this.workload = workload;
    this.byAlias = byAlias;
    this.routes = routes;
    this.warnings = warnings;
  }

  public String version() {
    return version;
  }

  public long generation() {
    return generation;
  }

  /** Cross-resource problems found while compiling (e.g. a subset no DestinationRule defines). */
  public List<String> warnings() {
    return warnings;
  }

  /** The route of a host as an application wrote it, or null when it is not a mesh host. */
  public HostRoute lookup(String host) {
    if (host == null) {
      return null;
    }
    HostRoute r = byAlias.get(host);
    if (r == null && needsNormalizing(host)) {
      r = byAlias.get(HostNames.normalize(host));
    }
    return r;
  }

  /** Resolve + split for one call; null when the host is not a mesh host. */
  public RouteDecision decide(OutboundRequest request) {
    HostRoute r = lookup(request.host());
    return r == null ? null : r.decide(request);
  }

  private static boolean needsNormalizing(String host) {
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return true;
      }
    }
    return host.endsWith(".");
  }

  public static RouteTable compile(MeshSnapshot snapshot, Workload workload) {
    return new Compiler(snapshot, workload).compile();
  }

  /** What the admin endpoint shows: hosts, rules, clusters and endpoints as this workload sees them. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", version);
    m.put("generation", generation);
    Map<String, Object> hosts = new TreeMap<>();
    for (HostRoute r : routes) {
      Map<String, Object> d = r.describe();
      List<String> aliases = new ArrayList<>();
      for (Map.Entry<String, HostRoute> e : byAlias.entrySet()) {
        if (e.getValue() == r) {
          aliases.add(e.getKey());
        }
      }
      aliases.sort(null);
      d.put("aliases", aliases);
      hosts.put(r.service().fqdn(), d);
    }
    m.put("hosts", hosts);
    m.put("warnings", warnings);
    return m;
  }

  private static final class Compiler {
    private final MeshSnapshot snap;
    private final Workload workload;
    private final Map<ServiceKey, List<DestinationRule>> rulesByHost = new HashMap<>();
    private final Map<String, Cluster> clusters = new HashMap<>();
    private final List<String> warnings = new ArrayList<>();

    Compiler(MeshSnapshot snap, Workload workload) {
      this.snap = snap;
      this.workload = workload;
    }

    RouteTable compile() {
      for (PolicyResource r : snap.resources()) {
        if (r instanceof DestinationRule dr) {
          ServiceKey k = HostNames.serviceOf(dr.host(), dr.namespace());
          if (k == null) {
            warnings.add(dr.ref() + ": host " + dr.host() + " is not a mesh service name; not enforced yet");
            continue;
          }
          rulesByHost.computeIfAbsent(k, x -> new ArrayList<>()).add(dr);
        }
      }
      Map<ServiceKey, HostRoute> routes = new LinkedHashMap<>();
      Map<ServiceKey, String> claimedBy = new HashMap<>();
      for (PolicyResource r : snap.resources()) {
        if (!(r instanceof VirtualService vs)) {
          continue;
        }
        for (String host : vs.hosts()) {
          ServiceKey k = HostNames.serviceOf(host, vs.namespace());
          if (k == null) {
            warnings.add(vs.ref() + ": host " + host + " is not a mesh service name; not enforced yet");
            continue;
          }
          if (claimedBy.containsKey(k)) {
            warnings.add(
                vs.ref() + ": host " + k + " is already routed by VirtualService " + claimedBy.get(k)
                    + "; the first (by file name) wins");
            continue;
          }
          claimedBy.put(k, vs.namespace() + "/" + vs.ref().name());
          routes.put(k, new HostRoute(k, claimedBy.get(k), rulesOf(vs)));
        }
      }
      for (ServiceKey k : snap.services().keySet()) {
        if (!routes.containsKey(k)) {
          Cluster c = cluster(k, null, null, null);
          routes.put(k, new HostRoute(k, null, new HostRoute.Rule[] {new HostRoute.Rule(null, List.of(), new Cluster[] {c}, new int[] {100})}));
        }
      }
      Map<String, HostRoute> byAlias = new HashMap<>();
      for (Map.Entry<ServiceKey, HostRoute> e : routes.entrySet()) {
        ServiceKey k = e.getKey();
        if (workload != null && k.namespace().equals(workload.namespace())) {
          byAlias.put(k.name(), e.getValue());
        }
        byAlias.put(k.name() + "." + k.namespace(), e.getValue());
        byAlias.put(k.name() + "." + k.namespace() + ".svc", e.getValue());
        byAlias.put(k.fqdn(), e.getValue());
      }
      return new RouteTable(
          snap.version(),
          snap.generation(),
          workload,
          Map.copyOf(byAlias),
          List.copyOf(routes.values()),
          List.copyOf(warnings));
    }

    private HostRoute.Rule[] rulesOf(VirtualService vs) {
      HostRoute.Rule[] rules = new HostRoute.Rule[vs.http().size()];
      for (int i = 0; i < rules.length; i++) {
        HttpRoute h = vs.http().get(i);
        Cluster[] cs = new Cluster[h.route().size()];
        int[] weights = new int[cs.length];
        for (int j = 0; j < cs.length; j++) {
          RouteDestination d = h.route().get(j);
          ServiceKey k = HostNames.serviceOf(d.destination().host(), vs.namespace());
          if (k == null) {
            warnings.add(vs.ref() + ": destination " + d.destination().host() + " is not a mesh service name");
            k = new ServiceKey(HostNames.normalize(d.destination().host()), vs.namespace());
            cs[j] = cluster(k, d.destination().subset(), d.destination().port(), vs.ref().toString());
          } else {
            cs[j] = cluster(k, d.destination().subset(), d.destination().port(), vs.ref().toString());
          }
          weights[j] = d.weight() == null ? 0 : d.weight();
        }
        rules[i] = new HostRoute.Rule(h.name(), h.match(), cs, weights);
      }
      return rules;
    }

    private Cluster cluster(ServiceKey k, String subset, Integer port, String referrer) {
      String id = k + "|" + subset + "|" + port;
      Cluster c = clusters.get(id);
      if (c != null) {
        return c;
      }
      Map<String, String> labels = Map.of();
      if (subset != null) {
        labels = subsetLabels(k, subset);
        if (labels == null) {
          warnings.add(
              referrer + ": subset " + subset + " of " + k + " is not defined by any DestinationRule;"
                  + " calls routed there get 503 no healthy upstream");
        }
      }
      List<Endpoint> eps = snap.services().getOrDefault(k, List.of());
      c = new Cluster(k, subset, port, labels, eps);
      clusters.put(id, c);
      return c;
    }

    /** Istio looks for the DestinationRule in the client's namespace first, then the service's. */
    private Map<String, String> subsetLabels(ServiceKey k, String subset) {
      List<DestinationRule> drs = rulesByHost.getOrDefault(k, List.of());
      DestinationRule chosen = null;
      for (DestinationRule dr : drs) {
        if (workload != null && dr.namespace().equals(workload.namespace())) {
          chosen = dr;
          break;
        }
      }
      if (chosen == null) {
        for (DestinationRule dr : drs) {
          if (dr.namespace().equals(k.namespace())) {
            chosen = dr;
            break;
          }
        }
      }
      if (chosen == null && !drs.isEmpty()) {
        chosen = drs.get(0);
      }
      if (chosen == null) {
        return null;
      }
      Subset s = chosen.subset(subset);
      return s == null ? null : s.labels();
    }
  }
}
