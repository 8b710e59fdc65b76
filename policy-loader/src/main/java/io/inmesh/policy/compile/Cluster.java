package io.inmesh.policy.compile;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A destination (service + subset + optional port) and its endpoints, balanced round robin. Which
 * port of an endpoint a call uses follows Kubernetes Service semantics: a call without a port or to
 * port 80 goes to each endpoint's primary (first registered) port, as a Service port maps to its
 * targetPort; an explicit port goes to the endpoints that registered it.
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
  private final AtomicInteger next = new AtomicInteger();

  Cluster(ServiceKey service, String subset, Integer destinationPort, Map<String, String> subsetLabels, List<Endpoint> all) {
    this.service = service;
    this.subset = subset;
    this.destinationPort = destinationPort;
    this.subsetLabels = subsetLabels;
    this.name =
        "outbound|" + (destinationPort == null ? "" : destinationPort) + "|" + (subset == null ? "" : subset) + "|" + service.fqdn();
    List<Endpoint> selected = new ArrayList<>();
    List<ResolvedEndpoint> res = new ArrayList<>();
    if (subsetLabels != null) {
      for (Endpoint e : all) {
        if (e.hasLabels(subsetLabels) && !e.ports().isEmpty()) {
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
    InetSocketAddress[] p = new InetSocketAddress[res.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = new InetSocketAddress(res.get(i).address, res.get(i).endpoint.ports().get(0));
    }
    this.primary = p;
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

  /** False when the route names a subset no DestinationRule defines. */
  public boolean defined() {
    return subsetLabels != null;
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }

  /** The addresses a call to {@code callPort} (-1: none given) may use; empty: no healthy upstream. */
  public InetSocketAddress[] addressesFor(int callPort) {
    int port = destinationPort != null ? destinationPort : callPort;
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

  /** Round robin over {@code addresses} (from {@link #addressesFor}). */
  public InetSocketAddress pick(InetSocketAddress[] addresses) {
    if (addresses.length == 1) {
      return addresses[0];
    }
    int i = Math.floorMod(next.getAndIncrement(), addresses.length);
    return addresses[i];
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
    List<String> eps = new ArrayList<>();
    for (Endpoint e : endpoints) {
      eps.add(e.address() + ":" + e.ports());
    }
    m.put("endpoints", eps);
    return m;
  }

  private record ResolvedEndpoint(Endpoint endpoint, InetAddress address) {}
}
