package io.inmesh.policy.compile;

import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.OutboundRequest;
import io.inmesh.policy.authz.AuthorizationEvaluator;
import io.inmesh.policy.model.DestinationRule;
import io.inmesh.policy.model.Headers;
import io.inmesh.policy.model.HttpMatch;
import io.inmesh.policy.model.HttpMirror;
import io.inmesh.policy.model.HttpRetry;
import io.inmesh.policy.model.HttpRoute;
import io.inmesh.policy.model.MeshConfig;
import io.inmesh.policy.model.PolicyResource;
import io.inmesh.policy.model.PortTrafficPolicy;
import io.inmesh.policy.model.ResourceRef;
import io.inmesh.policy.model.RouteDestination;
import io.inmesh.policy.model.ServiceEntry;
import io.inmesh.policy.model.Subset;
import io.inmesh.policy.model.TrafficPolicy;
import io.inmesh.policy.model.VirtualService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A snapshot compiled for one workload: immutable, holding only what applies to it (resources
 * exported to its namespace, rules whose source selectors match it, DestinationRules that select
 * it), indexed so that the route decision for a call is one hash lookup by host plus a scan of that
 * host's rules. Hosts that are not mesh services (nor ServiceEntry hosts) miss the lookup and pass
 * through untouched.
 *
 * <p>Istio's resolution rules, as implemented here:
 *
 * <ul>
 *   <li>short names in a resource mean {@code name.<resource namespace>}; an application's short
 *       name means {@code name.<its namespace>} (Kubernetes DNS search path);
 *   <li>one VirtualService per host: the first (by file name, then document order) wins, the
 *       others are reported; a wildcard host ({@code *.example.com}) applies to the known hosts it
 *       covers that no exact host claims, the most specific wildcard first;
 *   <li>a VirtualService bound to gateways without {@code mesh} does not apply (inmesh agents are
 *       the mesh's sidecars); a match block naming {@code gateways} applies when they include
 *       {@code mesh};
 *   <li>the DestinationRule for a host is looked up in the caller's namespace, then the host's
 *       namespace, then the root namespace (several in one namespace merge: the first traffic
 *       policy, subsets by first definition);
 *   <li>ServiceEntry hosts become hosts of their own: STATIC endpoints are dialled directly; with
 *       DNS or NONE resolution the call keeps its host and the application's library resolves it
 *       at connect time (see {@link Cluster#passthrough()}); only ports declared with an HTTP
 *       protocol (or none) are routed, other ports pass through.
 * </ul>
 */
public final class RouteTable {

  public static final RouteTable EMPTY =
      new RouteTable("", 0, null, Map.of(), List.of(), List.of(), MeshConfig.DEFAULT, MtlsPolicy.DEFAULT, AuthorizationEvaluator.NONE);

  private final String version;
  private final long generation;
  private final Workload workload;
  private final Map<String, HostRoute> byAlias;
  private final List<HostRoute> routes;
  private final List<String> warnings;
  private final MeshConfig meshConfig;
  private final MtlsPolicy mtls;
  private final AuthorizationEvaluator authorization;

  private RouteTable(
      String version,
      long generation,
      Workload workload,
      Map<String, HostRoute> byAlias,
      List<HostRoute> routes,
      List<String> warnings,
      MeshConfig meshConfig,
      MtlsPolicy mtls,
      AuthorizationEvaluator authorization) {
    this.version = version;
    this.generation = generation;
    this.workload = workload;
    this.byAlias = byAlias;
    this.routes = routes;
    this.warnings = warnings;
    this.meshConfig = meshConfig;
    this.mtls = mtls;
    this.authorization = authorization;
  }

  public String version() {
    return version;
  }

  public long generation() {
    return generation;
  }

  public Workload workload() {
    return workload;
  }

  /** Cross-resource problems found while compiling (e.g. a subset no DestinationRule defines). */
  public List<String> warnings() {
    return warnings;
  }

  /** The mesh-wide settings in force (the snapshot's MeshConfig, else Istio's defaults). */
  public MeshConfig meshConfig() {
    return meshConfig;
  }

  /** The PeerAuthentication in force for this workload (inbound mTLS mode). */
  public MtlsPolicy mtls() {
    return mtls;
  }

  /**
   * The PeerAuthentication in force for another workload (a destination), from the policies this
   * workload was sent: auto mTLS sends plain text to a destination whose mode is DISABLE.
   */
  public MtlsPolicy mtlsOf(Workload destination) {
    return MtlsPolicy.forWorkload(peerAuthentications, destination, meshConfig.rootNamespace());
  }

  private List<PolicyResource> peerAuthentications = List.of();

  /** The AuthorizationPolicies that apply to this workload, ready to evaluate inbound requests. */
  public AuthorizationEvaluator authorization() {
    return authorization;
  }

  /** The number of hosts with a route. */
  public int hostCount() {
    return routes.size();
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
    Map<String, Object> sec = new LinkedHashMap<>();
    sec.put("mtlsMode", mtls.mode().name());
    if (!mtls.portModes().isEmpty()) {
      sec.put("mtlsPorts", mtls.portModes().toString());
    }
    sec.put("peerAuthentication", mtls.sources());
    sec.put("authorizationPolicies", authorization.policies());
    m.put("security", sec);
    Map<String, Object> mesh = new LinkedHashMap<>();
    mesh.put("trustDomain", meshConfig.trustDomain());
    mesh.put("rootNamespace", meshConfig.rootNamespace());
    mesh.put("defaultRetries", meshConfig.defaultRetryPolicy().attempts() + " on " + meshConfig.defaultRetryPolicy().retryOn());
    m.put("meshConfig", mesh);
    m.put("warnings", warnings);
    return m;
  }

  // ---- compiling --------------------------------------------------------------------------------

  /** A host the workload can call: registered endpoints, or a ServiceEntry. */
  private record Service(
      ServiceKey key, String namespace, List<Endpoint> endpoints, Cluster.PortMap portMap, boolean passthrough, int[] httpPorts) {}

  /** The DestinationRule settings in force for one host. */
  private record Rules(TrafficPolicy top, Map<String, Subset> subsets, List<String> sources) {}

  private static final class Compiler {
    private final MeshSnapshot snap;
    private final Workload workload;
    private final String wns;
    private final Map<String, String> wlabels;
    private final MeshConfig mesh;
    private final List<String> warnings = new ArrayList<>();
    private final Map<ServiceKey, Service> services = new LinkedHashMap<>();
    private final Set<String> externalHosts = new HashSet<>();
    private final Map<ServiceKey, List<DestinationRule>> rulesByHost = new HashMap<>();
    private final List<DestinationRule> wildcardRules = new ArrayList<>();
    private final Map<ServiceKey, Rules> resolvedRules = new HashMap<>();
    private final Map<String, Cluster> clusters = new HashMap<>();
    private final Map<String, VirtualService> virtualServicesByRef = new HashMap<>();

    Compiler(MeshSnapshot snap, Workload workload) {
      this.snap = snap;
      this.workload = workload;
      this.wns = workload == null ? null : workload.namespace();
      this.wlabels = workload == null || workload.labels() == null ? Map.of() : workload.labels();
      MeshConfig m = MeshConfig.DEFAULT;
      for (PolicyResource r : snap.resources()) {
        if (r instanceof MeshConfig mc) {
          m = mc;
          break;
        }
      }
      this.mesh = m;
    }

    RouteTable compile() {
      for (Map.Entry<ServiceKey, List<Endpoint>> e : snap.services().entrySet()) {
        ServiceKey k = e.getKey();
        services.put(k, new Service(k, k.namespace(), e.getValue(), null, false, null));
      }
      for (PolicyResource r : snap.resources()) {
        if (r instanceof ServiceEntry se && visible(se.exportTo(), se.namespace())) {
          addServiceEntry(se);
        }
      }
      for (PolicyResource r : snap.resources()) {
        if (r instanceof DestinationRule dr) {
          indexDestinationRule(dr);
        } else if (r instanceof VirtualService vs) {
          virtualServicesByRef.putIfAbsent(vs.namespace() + "/" + vs.ref().name(), vs);
        }
      }

      Set<String> delegates = new HashSet<>();
      for (PolicyResource r : snap.resources()) {
        if (r instanceof VirtualService vs) {
          for (HttpRoute h : vs.http()) {
            if (h.delegate() != null) {
              delegates.add(h.delegate().namespace() + "/" + h.delegate().name());
            }
          }
        }
      }

      Map<ServiceKey, HostRoute> routes = new LinkedHashMap<>();
      Map<ServiceKey, String> claimedBy = new HashMap<>();
      List<Object[]> wildcards = new ArrayList<>(); // {pattern, vs}
      for (PolicyResource r : snap.resources()) {
        if (!(r instanceof VirtualService vs) || !visible(vs.exportTo(), vs.namespace()) || !touchesMesh(vs)) {
          continue;
        }
        String id = vs.namespace() + "/" + vs.ref().name();
        if (vs.hosts().isEmpty() || (vs.hostsInferred() && delegates.contains(id))) {
          continue; // a delegate: its rules apply through the VirtualService that delegates to it
        }
        HostRoute.Rule[] rules = null;
        for (String host : vs.hosts()) {
          String h = HostNames.normalize(host);
          if (h.startsWith("*")) {
            wildcards.add(new Object[] {h, vs});
            continue;
          }
          ServiceKey k = resolveHost(h, vs.namespace());
          if (k.isExternal() && !services.containsKey(k)) {
            warnings.add(
                vs.ref() + ": host " + host + " has no ServiceEntry; Istio routes a host outside the mesh only when a"
                    + " ServiceEntry declares it, so calls to " + host + " pass through untouched");
            continue;
          }
          if (claimedBy.containsKey(k)) {
            if (!claimedBy.get(k).equals(id)) {
              warnings.add(
                  vs.ref() + ": host " + k.fqdn() + " is already routed by VirtualService " + claimedBy.get(k)
                      + "; the first (by file name) wins");
            }
            continue;
          }
          if (rules == null) {
            rules = rulesOf(vs);
          }
          if (rules.length == 0) {
            continue; // no rule applies to this workload: the host keeps its default route (Istio)
          }
          claimedBy.put(k, id);
          routes.put(k, hostRoute(k, id, rules));
        }
      }
      if (!wildcards.isEmpty()) {
        // the most specific wildcard first (longest), then file order
        wildcards.sort((a, b) -> Integer.compare(((String) b[0]).length(), ((String) a[0]).length()));
        for (ServiceKey k : services.keySet()) {
          if (routes.containsKey(k)) {
            continue;
          }
          String fqdn = k.fqdn();
          for (Object[] w : wildcards) {
            String pattern = (String) w[0];
            if (pattern.equals("*") || fqdn.endsWith(pattern.substring(1))) {
              VirtualService vs = (VirtualService) w[1];
              HostRoute.Rule[] rules = rulesOf(vs);
              if (rules.length > 0) {
                String id = vs.namespace() + "/" + vs.ref().name();
                claimedBy.put(k, id);
                routes.put(k, hostRoute(k, id, rules));
                break;
              }
            }
          }
        }
      }
      for (Service s : services.values()) {
        if (!routes.containsKey(s.key)) {
          Cluster c = cluster(s.key, null, null, null);
          HostRoute.Rule rule =
              new HostRoute.Rule(
                  null, null, null, new Cluster[] {c}, new int[] {100}, new Headers[] {Headers.NONE}, null, RoutePolicy.defaultRoute(mesh.defaultRetryPolicy()));
          routes.put(s.key, hostRoute(s.key, null, new HostRoute.Rule[] {rule}));
        }
      }

      Map<String, HostRoute> byAlias = new HashMap<>();
      for (Map.Entry<ServiceKey, HostRoute> e : routes.entrySet()) {
        if (e.getKey().isExternal()) {
          byAlias.put(e.getKey().name(), e.getValue());
        }
      }
      for (Map.Entry<ServiceKey, HostRoute> e : routes.entrySet()) {
        ServiceKey k = e.getKey();
        if (k.isExternal()) {
          continue;
        }
        if (wns != null && k.namespace().equals(wns)) {
          byAlias.put(k.name(), e.getValue());
        }
        byAlias.put(k.name() + "." + k.namespace(), e.getValue());
        byAlias.put(k.name() + "." + k.namespace() + ".svc", e.getValue());
        byAlias.put(k.fqdn(), e.getValue());
      }
      List<PolicyResource> resources = snap.resources();
      RouteTable table = new RouteTable(
          snap.version(),
          snap.generation(),
          workload,
          Map.copyOf(byAlias),
          List.copyOf(routes.values()),
          List.copyOf(warnings),
          mesh,
          MtlsPolicy.forWorkload(resources, workload, mesh.rootNamespace()),
          AuthorizationEvaluator.forWorkload(resources, workload, mesh.rootNamespace()));
      List<PolicyResource> pas = new ArrayList<>();
      for (PolicyResource r : resources) {
        if (r instanceof io.inmesh.policy.model.PeerAuthentication) {
          pas.add(r);
        }
      }
      table.peerAuthentications = List.copyOf(pas);
      return table;
    }

    private HostRoute hostRoute(ServiceKey k, String vs, HostRoute.Rule[] rules) {
      Service s = services.get(k);
      return new HostRoute(k, vs, rules, s == null ? null : s.httpPorts);
    }

    /** exportTo: empty or "*" → everyone; "." → the resource's namespace; "~" → nobody. */
    private boolean visible(List<String> exportTo, String namespace) {
      if (exportTo.isEmpty() || exportTo.contains("*")) {
        return true;
      }
      if (wns == null) {
        return false;
      }
      return exportTo.contains(wns) || (exportTo.contains(".") && namespace.equals(wns));
    }

    /** Whether any part of the VirtualService applies to sidecars (the top level, or a match block naming mesh). */
    private static boolean touchesMesh(VirtualService vs) {
      if (vs.appliesToMesh()) {
        return true;
      }
      for (HttpRoute h : vs.http()) {
        for (HttpMatch m : h.match()) {
          if (m.gateways().contains("mesh")) {
            return true;
          }
        }
      }
      return false;
    }

    /**
     * The service a host names: a ServiceEntry host as written, else a Kubernetes name resolved
     * against {@code namespace}, else an external host.
     */
    private ServiceKey resolveHost(String host, String namespace) {
      String h = HostNames.normalize(host);
      if (externalHosts.contains(h)) {
        return ServiceKey.external(h);
      }
      ServiceKey k = HostNames.meshServiceOf(h, namespace);
      return k != null ? k : ServiceKey.external(h);
    }

    private void addServiceEntry(ServiceEntry se) {
      List<Integer> http = new ArrayList<>();
      Map<Integer, Cluster.ServicePortTarget> targets = new LinkedHashMap<>();
      for (ServiceEntry.Port p : se.ports()) {
        if (isHttp(p.protocol())) {
          http.add(p.number());
          targets.put(p.number(), new Cluster.ServicePortTarget(p.name(), p.targetPort() != null ? p.targetPort() : p.number()));
        }
      }
      int[] httpPorts = http.stream().mapToInt(Integer::intValue).toArray();
      for (String host : se.hosts()) {
        String h = HostNames.normalize(host);
        if (h.startsWith("*")) {
          if (se.resolution() != ServiceEntry.Resolution.NONE && se.resolution() != ServiceEntry.Resolution.DYNAMIC_DNS) {
            warnings.add(se.ref() + ": wildcard host " + host + " is not routed; calls to matching hosts pass through untouched");
          }
          continue;
        }
        ServiceKey registered = HostNames.serviceOf(h, se.namespace());
        if (registered != null && h.endsWith(".svc." + ServiceKey.CLUSTER_DOMAIN) && services.containsKey(registered)) {
          warnings.add(se.ref() + ": host " + host + " is a registered service; inmesh keeps its registered endpoints");
          continue;
        }
        ServiceKey k = ServiceKey.external(h);
        if (services.containsKey(k)) {
          warnings.add(se.ref() + ": host " + host + " is declared by an earlier ServiceEntry; the first (by file name) wins");
          continue;
        }
        if (httpPorts.length == 0) {
          if (!se.ports().isEmpty()) {
            warnings.add(se.ref() + ": host " + host + " declares no HTTP port; inmesh routes HTTP only, so its calls pass through");
          }
          continue;
        }
        externalHosts.add(h);
        boolean passthrough = se.resolution() != ServiceEntry.Resolution.STATIC;
        List<Endpoint> eps = new ArrayList<>();
        IdentityHashMap<Endpoint, Map<String, Integer>> named = new IdentityHashMap<>();
        if (!passthrough) {
          for (ServiceEntry.Endpoint we : se.endpoints()) {
            if (we.address().startsWith("unix://")) {
              continue;
            }
            Endpoint ep = new Endpoint(we.address(), List.of(), we.labels(), "ServiceEntry " + se.namespace() + "/" + se.ref().name());
            eps.add(ep);
            named.put(ep, we.ports());
          }
        }
        Cluster.PortMap pm = new Cluster.PortMap(targets, httpPorts[0], named);
        services.put(k, new Service(k, se.namespace(), List.copyOf(eps), pm, passthrough, httpPorts));
      }
    }

    private static boolean isHttp(String protocol) {
      return protocol == null
          || protocol.isEmpty()
          || protocol.equals("HTTP")
          || protocol.equals("HTTP2")
          || protocol.equals("GRPC")
          || protocol.equals("GRPC-WEB")
          || protocol.equals("HTTP_PROXY");
    }

    private void indexDestinationRule(DestinationRule dr) {
      if (!visible(dr.exportTo(), dr.namespace())) {
        return;
      }
      if (dr.workloadSelector() != null) {
        // Istio: applied only to the selected workloads of the rule's own namespace
        if (wns == null || !dr.namespace().equals(wns) || !MtlsPolicy.matches(dr.workloadSelector(), wlabels)) {
          return;
        }
      }
      String h = HostNames.normalize(dr.host());
      if (h.startsWith("*")) {
        wildcardRules.add(dr);
        return;
      }
      rulesByHost.computeIfAbsent(resolveHost(h, dr.namespace()), x -> new ArrayList<>()).add(dr);
    }

    /** Istio looks for the DestinationRule in the client's namespace, then the service's, then the root namespace. */
    private Rules rules(ServiceKey k) {
      Rules cached = resolvedRules.get(k);
      if (cached != null) {
        return cached;
      }
      List<DestinationRule> exact = rulesByHost.getOrDefault(k, List.of());
      Service s = services.get(k);
      String serviceNs = s != null ? s.namespace : k.isExternal() ? null : k.namespace();
      String fqdn = k.fqdn();
      Rules out = new Rules(null, Map.of(), List.of());
      for (String ns : new String[] {wns, serviceNs, mesh.rootNamespace()}) {
        if (ns == null) {
          continue;
        }
        // in each namespace the most specific host wins: an exact host, else the longest wildcard
        List<DestinationRule> inNs = new ArrayList<>();
        for (DestinationRule dr : exact) {
          if (dr.namespace().equals(ns)) {
            inNs.add(dr);
          }
        }
        if (inNs.isEmpty()) {
          DestinationRule best = null;
          for (DestinationRule dr : wildcardRules) {
            String p = HostNames.normalize(dr.host());
            if (dr.namespace().equals(ns)
                && (p.equals("*") || fqdn.endsWith(p.substring(1)))
                && (best == null || p.length() > HostNames.normalize(best.host()).length())) {
              best = dr;
            }
          }
          if (best != null) {
            inNs.add(best);
          }
        }
        if (!inNs.isEmpty()) {
          out = merge(inNs);
          break;
        }
      }
      resolvedRules.put(k, out);
      return out;
    }

    /** Several DestinationRules for one host in one namespace: Istio merges them. */
    private static Rules merge(List<DestinationRule> drs) {
      TrafficPolicy top = null;
      Map<String, Subset> subsets = new LinkedHashMap<>();
      List<String> sources = new ArrayList<>();
      for (DestinationRule dr : drs) {
        if (top == null) {
          top = dr.trafficPolicy();
        }
        for (Subset s : dr.subsets()) {
          subsets.putIfAbsent(s.name(), s);
        }
        sources.add(dr.namespace() + "/" + dr.ref().name());
      }
      return new Rules(top, subsets, sources);
    }

    private HostRoute.Rule[] rulesOf(VirtualService vs) {
      List<HostRoute.Rule> out = new ArrayList<>();
      for (int i = 0; i < vs.http().size(); i++) {
        HttpRoute h = vs.http().get(i);
        HostRoute.Match[] blocks = blocks(h, vs);
        if (blocks != null && blocks.length == 0) {
          continue; // no match block applies to this workload
        }
        if (h.delegate() != null) {
          addDelegated(out, vs, h, blocks);
          continue;
        }
        out.add(rule(vs, i, h, blocks, null, null));
      }
      return out.toArray(new HostRoute.Rule[0]);
    }

    private void addDelegated(List<HostRoute.Rule> out, VirtualService root, HttpRoute h, HostRoute.Match[] parentBlocks) {
      ResourceRef ref = h.delegate();
      VirtualService d = virtualServicesByRef.get(ref.namespace() + "/" + ref.name());
      if (d == null) {
        warnings.add(root.ref() + ": delegate VirtualService " + ref.namespace() + "/" + ref.name() + " does not exist; the rule is skipped");
        return;
      }
      for (int j = 0; j < d.http().size(); j++) {
        HttpRoute dh = d.http().get(j);
        if (dh.delegate() != null) {
          warnings.add(d.ref() + ": http[" + j + "] delegates again; Istio supports one level of delegation, the rule is skipped");
          continue;
        }
        HostRoute.Match[] own = blocks(dh, d);
        if (own != null && own.length == 0) {
          continue;
        }
        out.add(rule(d, j, dh, own, parentBlocks, h));
      }
    }

    /**
     * The match blocks that apply to this workload, compiled; null when the rule has none (it
     * matches everything); empty when blocks were given but none applies.
     */
    private HostRoute.Match[] blocks(HttpRoute h, VirtualService vs) {
      if (h.match().isEmpty()) {
        return vs.appliesToMesh() ? null : new HostRoute.Match[0];
      }
      List<HostRoute.Match> out = new ArrayList<>();
      for (HttpMatch m : h.match()) {
        if (!appliesToWorkload(m, vs)) {
          continue;
        }
        out.add(new HostRoute.Match(m));
      }
      if (out.size() == 1 && h.match().size() == 1 && h.match().get(0).matchesEverything()) {
        return null; // one block with selectors only: every request of the selected workloads
      }
      return out.toArray(new HostRoute.Match[0]);
    }

    /** sourceLabels, sourceNamespace and gateways are selectors, decided here once. */
    private boolean appliesToWorkload(HttpMatch m, VirtualService vs) {
      boolean mesh = m.gateways().isEmpty() ? vs.appliesToMesh() : m.gateways().contains("mesh");
      if (!mesh) {
        return false;
      }
      if (m.sourceNamespace() != null && !m.sourceNamespace().equals(wns)) {
        return false;
      }
      return m.sourceLabels().isEmpty() || MtlsPolicy.matches(m.sourceLabels(), wlabels);
    }

    private HostRoute.Rule rule(
        VirtualService vs, int index, HttpRoute h, HostRoute.Match[] blocks, HostRoute.Match[] parentBlocks, HttpRoute root) {
      String referrer = vs.ref().toString();
      int n = h.route().size();
      Cluster[] cs = new Cluster[n];
      int[] weights = new int[n];
      Headers[] headers = new Headers[n];
      for (int j = 0; j < n; j++) {
        RouteDestination d = h.route().get(j);
        ServiceKey k = destinationKey(vs, d.destination().host());
        cs[j] = cluster(k, d.destination().subset(), d.destination().port(), referrer);
        weights[j] = d.weight() == null ? 0 : d.weight();
        headers[j] = d.headers() == null ? Headers.NONE : d.headers();
      }
      LocalAnswer answer = null;
      if (h.directResponse() != null) {
        answer = new LocalAnswer(h.directResponse().status(), h.directResponse().body(), "DR");
      } else if (h.redirect() != null) {
        answer = new LocalAnswer(h.redirect().redirectCode(), "", "RD");
      } else if (n == 0) {
        answer = RouteDecision.NO_ROUTE;
      }
      RoutePolicy policy = policy(vs, index, h, root);
      return new HostRoute.Rule(h.name(), blocks, parentBlocks, cs, weights, headers, answer, policy);
    }

    private ServiceKey destinationKey(VirtualService vs, String host) {
      ServiceKey k = resolveHost(host, vs.namespace());
      if (k.isExternal() && !services.containsKey(k)) {
        warnings.add(
            vs.ref() + ": destination " + host + " is neither a registered service nor a ServiceEntry host;"
                + " calls routed there get 503 no healthy upstream");
      }
      Service s = services.get(k);
      if (s != null && s.passthrough && !k.name().equals(HostNames.normalize(host))) {
        warnings.add(vs.ref() + ": destination " + host + " is resolved by DNS; the call keeps the host the application addressed");
      }
      return k;
    }

    /** The rule's policy with Istio's defaults; a delegated rule falls back to its root rule's settings. */
    private RoutePolicy policy(VirtualService vs, int index, HttpRoute h, HttpRoute root) {
      var timeout = h.timeout() != null ? h.timeout() : root == null ? null : root.timeout();
      HttpRetry retries = h.retries() != null ? h.retries() : root != null && root.retries() != null ? root.retries() : mesh.defaultRetryPolicy();
      var fault = h.fault() != null ? h.fault() : root == null ? null : root.fault();
      if (fault != null) {
        retries = HttpRetry.DISABLED; // "timeouts or retries will not be enabled when faults are enabled"
        timeout = null;
      }
      List<HttpMirror> ms = !h.mirrors().isEmpty() || root == null ? h.mirrors() : root.mirrors();
      List<RoutePolicy.Mirror> mirrors = new ArrayList<>();
      for (HttpMirror m : ms) {
        ServiceKey k = destinationKey(vs, m.destination().host());
        mirrors.add(new RoutePolicy.Mirror(cluster(k, m.destination().subset(), m.destination().port(), vs.ref().toString()), m.percentage()));
      }
      Headers headers = !h.headers().isEmpty() || root == null ? h.headers() : root.headers();
      return new RoutePolicy(
          vs.namespace() + "/" + vs.ref().name(),
          index,
          h.name() != null ? h.name() : root == null ? null : root.name(),
          timeout,
          retries,
          fault,
          List.copyOf(mirrors),
          h.rewrite() != null ? h.rewrite() : root == null ? null : root.rewrite(),
          h.redirect(),
          h.directResponse(),
          headers,
          h.corsPolicy() != null ? h.corsPolicy() : root == null ? null : root.corsPolicy());
    }

    private Cluster cluster(ServiceKey k, String subset, Integer port, String referrer) {
      String id = k + "|" + subset + "|" + port;
      Cluster c = clusters.get(id);
      if (c != null) {
        return c;
      }
      Rules rules = rules(k);
      Map<String, String> labels = Map.of();
      TrafficPolicy subsetPolicy = null;
      if (subset != null) {
        Subset s = rules.subsets.get(subset);
        if (s == null) {
          labels = null;
          warnings.add(
              referrer + ": subset " + subset + " of " + k + " is not defined by any DestinationRule;"
                  + " calls routed there get 503 no healthy upstream");
        } else {
          labels = s.labels();
          subsetPolicy = s.trafficPolicy();
        }
      }
      TrafficPolicy effective = TrafficPolicy.effective(rules.top, subsetPolicy, port);
      Map<Integer, TrafficPolicy> portPolicies = new HashMap<>();
      if (port == null) {
        Set<Integer> ports = new TreeSet<>();
        if (rules.top != null) {
          for (PortTrafficPolicy p : rules.top.portLevelSettings()) {
            ports.add(p.port());
          }
        }
        if (subsetPolicy != null) {
          for (PortTrafficPolicy p : subsetPolicy.portLevelSettings()) {
            ports.add(p.port());
          }
        }
        for (int p : ports) {
          portPolicies.put(p, TrafficPolicy.effective(rules.top, subsetPolicy, p));
        }
      }
      Service s = services.get(k);
      if (s == null) {
        c = new Cluster(k, subset, port, labels, List.of(), effective, Map.copyOf(portPolicies), null, null);
      } else {
        c = new Cluster(k, subset, port, labels, s.endpoints, effective, Map.copyOf(portPolicies), s.portMap, s.passthrough ? k.name() : null);
      }
      clusters.put(id, c);
      return c;
    }
  }
}
