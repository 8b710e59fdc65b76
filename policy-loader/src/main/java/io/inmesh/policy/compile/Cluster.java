package io.inmesh.policy.compile;

import io.inmesh.policy.model.LoadBalancerSettings;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A destination (service + subset + optional port), its endpoints and its traffic policy.
 *
 * <p>For a registered (Kubernetes-style) service, which port of an endpoint a call uses follows
 * Kubernetes Service semantics: a call without a port or to port 80 goes to each endpoint's
 * primary (first registered) port, as a Service port maps to its targetPort; an explicit port goes
 * to the endpoints that registered it. For a ServiceEntry with STATIC resolution, a service port
 * maps to each endpoint's port of that name, else the port's targetPort, else the port itself.
 *
 * <p>A ServiceEntry with DNS (or NONE) resolution is a <em>pass-through</em> cluster: inmesh keeps
 * the host name and never resolves it; {@link #addressesFor} gives unresolved addresses (for
 * display) and the call lifecycle picks no endpoint, so the application's library connects to
 * the host it addressed and resolves it itself, at connect time, while the route's policies
 * (timeouts, retries, ...) still apply to the call.
 *
 * <p>Balancing is not here: compiled clusters are immutable, and the agent's balance stage
 * ({@code io.inmesh.agent.upstream.ClusterState}) keeps the per-endpoint runtime state it needs
 * outside the snapshot.
 */
public final class Cluster {
  private static final InetSocketAddress[] NONE = new InetSocketAddress[0];

  private final String name;
  private final ServiceKey service;
  private final String subset;
  private final Integer destinationPort;
  /** Null when the subset is not defined by any DestinationRule (no such cluster). */
  private final Map<String, String> subsetLabels;
  private final List<Endpoint> endpoints;
  private final List<ResolvedEndpoint> resolved;
  private final InetSocketAddress[] primary;
  private final Map<Integer, InetSocketAddress[]> byPort = new ConcurrentHashMap<>();
  private final TrafficPolicy trafficPolicy;
  private final Map<Integer, TrafficPolicy> portPolicies;
  /** Null for registry clusters; the ServiceEntry port mapping for STATIC entries. */
  private final PortMap portMap;
  /** Non-null for pass-through (DNS / NONE resolution) clusters: the host to leave alone. */
  private final String passthroughHost;

  /** A registry cluster with no traffic policy (the shape callers built before policies). */
  Cluster(ServiceKey service, String subset, Integer destinationPort, Map<String, String> subsetLabels, List<Endpoint> all) {
    this(service, subset, destinationPort, subsetLabels, all, TrafficPolicy.NONE, Map.of(), null, null);
  }

  Cluster(
      ServiceKey service,
      String subset,
      Integer destinationPort,
      Map<String, String> subsetLabels,
      List<Endpoint> all,
      TrafficPolicy trafficPolicy,
      Map<Integer, TrafficPolicy> portPolicies,
      PortMap portMap,
      String passthroughHost) {
    this.service = service;
    this.subset = subset;
    this.destinationPort = destinationPort;
    this.subsetLabels = subsetLabels;
    this.trafficPolicy = trafficPolicy == null ? TrafficPolicy.NONE : trafficPolicy;
    this.portPolicies = portPolicies;
    this.portMap = portMap;
    this.passthroughHost = passthroughHost;
    this.name =
        "outbound|" + (destinationPort == null ? "" : destinationPort) + "|" + (subset == null ? "" : subset) + "|" + service.fqdn();
    List<Endpoint> selected = new ArrayList<>();
    List<ResolvedEndpoint> res = new ArrayList<>();
    if (subsetLabels != null && passthroughHost == null) {
      for (Endpoint e : all) {
        if (e.hasLabels(subsetLabels) && (portMap != null || !e.ports().isEmpty())) {
          InetAddress a = Addresses.literal(e.address());
          if (a != null) {
            selected.add(e);
            res.add(new ResolvedEndpoint(e, a));
          }
        }
      }
    }
    this.endpoints = List.copyOf(selected);
    this.resolved = List.copyOf(res);
    if (portMap != null) {
      this.primary = portMap.firstPort == null ? NONE : computeForPort(portMap.firstPort);
    } else {
      InetSocketAddress[] p = new InetSocketAddress[res.size()];
      for (int i = 0; i < p.length; i++) {
        p[i] = new InetSocketAddress(res.get(i).address, res.get(i).endpoint.ports().get(0));
      }
      this.primary = p;
    }
  }

  public String name() {
    return name;
  }

  public ServiceKey service() {
    return service;
  }

  public String subset() {
    return subset;
  }

  /** The port the route names ({@code destination.port.number}), or null. */
  public Integer destinationPort() {
    return destinationPort;
  }

  /** False when the route names a subset no DestinationRule defines. */
  public boolean defined() {
    return subsetLabels != null;
  }

  /**
   * True for a DNS- or NONE-resolved ServiceEntry host: the call goes to the host the application
   * addressed, resolved by its own library at connect time ({@link RouteDecision.Routed#pick()} is
   * null).
   */
  public boolean passthrough() {
    return passthroughHost != null;
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }

  /**
   * The registered endpoint behind an address this cluster hands out, or null (a pass-through
   * address, or one no longer in this cluster). Used once per endpoint and cached by the caller.
   */
  public Endpoint endpointAt(InetSocketAddress address) {
    if (address == null || address.getAddress() == null) {
      return null;
    }
    for (ResolvedEndpoint r : resolved) {
      if (r.address.equals(address.getAddress())) {
        return r.endpoint;
      }
    }
    return null;
  }

  /** The SPIFFE IDs the registry vouches for among this cluster's endpoints (secure naming). */
  public java.util.Set<String> identities() {
    java.util.Set<String> ids = new java.util.TreeSet<>();
    for (Endpoint e : endpoints) {
      if (e.identity() != null) {
        ids.add(e.identity());
      }
    }
    return ids;
  }

  /**
   * The DestinationRule policy in force for this destination (Istio's inheritance applied: subset
   * over top level; port-level settings for the route's destination port). Fields left null take
   * Istio's defaults ({@link TrafficPolicy#loadBalancerOrDefault()} ...).
   */
  public TrafficPolicy trafficPolicy() {
    return trafficPolicy;
  }

  /** The policy for a call to {@code port} when the route names no port (port-level settings apply). */
  public TrafficPolicy trafficPolicy(int port) {
    if (destinationPort != null || portPolicies.isEmpty()) {
      return trafficPolicy;
    }
    TrafficPolicy p = portPolicies.get(port);
    return p == null ? trafficPolicy : p;
  }

  /** The addresses a call to {@code callPort} (-1: none given) may use; empty: no healthy upstream. */
  public InetSocketAddress[] addressesFor(int callPort) {
    int port = destinationPort != null ? destinationPort : callPort;
    if (passthroughHost != null) {
      int p = port > 0 ? port : portMap != null && portMap.firstPort != null ? portMap.firstPort : 80;
      InetSocketAddress[] a = byPort.get(p);
      if (a == null) {
        a = new InetSocketAddress[] {InetSocketAddress.createUnresolved(passthroughHost, p)};
        byPort.put(p, a);
      }
      return a;
    }
    if (port < 0) {
      return primary;
    }
    InetSocketAddress[] a = byPort.get(port);
    if (a == null) {
      a = computeForPort(port);
      byPort.put(port, a);
    }
    return a;
  }

  private InetSocketAddress[] computeForPort(int port) {
    List<InetSocketAddress> out = new ArrayList<>();
    if (portMap != null) {
      ServicePortTarget t = portMap.targets.get(port);
      if (t == null) {
        return port == 80 && portMap.firstPort != null && portMap.firstPort != 80 ? computeForPort(portMap.firstPort) : NONE;
      }
      for (ResolvedEndpoint r : resolved) {
        Map<String, Integer> names = portMap.namedPorts.get(r.endpoint);
        Integer named = t.name == null || names == null ? null : names.get(t.name);
        out.add(new InetSocketAddress(r.address, named != null ? named : t.targetPort));
      }
      return out.toArray(NONE);
    }
    for (ResolvedEndpoint r : resolved) {
      if (r.endpoint.ports().contains(port)) {
        out.add(new InetSocketAddress(r.address, port));
      }
    }
    if (out.isEmpty() && port == 80) {
      return primary; // port 80 is the Service port; endpoints listen on their targetPort
    }
    return out.isEmpty() ? NONE : out.toArray(NONE);
  }

  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("service", service.toString());
    if (subset != null) {
      m.put("subset", subset);
      m.put("subsetLabels", subsetLabels);
    }
    if (destinationPort != null) {
      m.put("port", destinationPort);
    }
    if (passthroughHost != null) {
      m.put("passthrough", passthroughHost + " (resolved by the application at connect time)");
    } else {
      List<String> eps = new ArrayList<>();
      for (Endpoint e : endpoints) {
        eps.add(e.address() + ":" + (portMap != null ? portMap.namedPorts.getOrDefault(e, Map.of()) : e.ports()));
      }
      m.put("endpoints", eps);
    }
    LoadBalancerSettings lb = trafficPolicy.loadBalancerOrDefault();
    m.put("loadBalancer", lb.consistentHash() != null ? "consistentHash" : lb.simple().name());
    if (trafficPolicy.connectionPool() != null) {
      m.put("connectionPool", trafficPolicy.connectionPool().toString());
    }
    if (trafficPolicy.outlierDetection() != null) {
      m.put("outlierDetection", trafficPolicy.outlierDetection().toString());
    }
    if (trafficPolicy.tls() != null) {
      m.put("tls", trafficPolicy.tls().mode().name());
    }
    return m;
  }

  private record ResolvedEndpoint(Endpoint endpoint, InetAddress address) {}

  /** How a ServiceEntry's service ports map to its endpoints' ports. */
  static final class PortMap {
    final Map<Integer, ServicePortTarget> targets;
    final Integer firstPort;
    /** Each endpoint's {@code ports} (port name → number), by identity. */
    final Map<Endpoint, Map<String, Integer>> namedPorts;

    PortMap(Map<Integer, ServicePortTarget> targets, Integer firstPort, java.util.IdentityHashMap<Endpoint, Map<String, Integer>> namedPorts) {
      this.targets = new HashMap<>(targets);
      this.firstPort = firstPort;
      this.namedPorts = namedPorts;
    }
  }

  /** @param name the port's name (endpoints may map it); targetPort otherwise (or the port itself) */
  record ServicePortTarget(String name, int targetPort) {}
}
