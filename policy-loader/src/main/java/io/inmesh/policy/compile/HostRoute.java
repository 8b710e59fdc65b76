package io.inmesh.policy.compile;

import io.inmesh.bootstrap.OutboundRequest;
import io.inmesh.policy.model.HttpMatch;
import io.inmesh.policy.model.StringMatch;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The compiled routing of one mesh host: the HTTP rules of its VirtualService in order (the first
 * matching rule wins), or, without a VirtualService, every endpoint of the service.
 */
public final class HostRoute {
  private final ServiceKey service;
  private final String virtualService;
  private final Rule[] rules;

  HostRoute(ServiceKey service, String virtualService, Rule[] rules) {
    this.service = service;
    this.virtualService = virtualService;
    this.rules = rules;
  }

  public ServiceKey service() {
    return service;
  }

  /** {@code namespace/name} of the VirtualService in force, or null for the default route. */
  public String virtualService() {
    return virtualService;
  }

  public RouteDecision decide(OutboundRequest request) {
    for (int i = 0; i < rules.length; i++) {
      Rule r = rules[i];
      if (r.matches(request)) {
        Cluster c = r.pick();
        if (!c.defined()) {
          return new RouteDecision.Local(this, i, RouteDecision.NO_CLUSTER);
        }
        InetSocketAddress[] addresses = c.addressesFor(request.port());
        if (addresses.length == 0) {
          return new RouteDecision.Local(this, i, RouteDecision.NO_HEALTHY_UPSTREAM);
        }
        return new RouteDecision.Routed(this, i, c, addresses);
      }
    }
    return new RouteDecision.Local(this, -1, RouteDecision.NO_ROUTE);
  }

  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("service", service.toString());
    m.put("virtualService", virtualService);
    List<Object> rs = new ArrayList<>();
    for (Rule r : rules) {
      rs.add(r.describe());
    }
    m.put("rules", rs);
    return m;
  }

  /** One http[] rule: OR of match blocks, then a weighted pick of a destination. */
  static final class Rule {
    final String name;
    final List<HttpMatch> matches;
    final Cluster[] clusters;
    /** Cumulative weights; null when there is one destination (it gets 100%, as in Istio). */
    final int[] cumulative;

    Rule(String name, List<HttpMatch> matches, Cluster[] clusters, int[] weights) {
      this.name = name;
      this.matches = matches;
      this.clusters = clusters;
      if (clusters.length <= 1) {
        this.cumulative = null;
      } else {
        int[] cum = new int[weights.length];
        int total = 0;
        for (int w : weights) {
          total += w;
        }
        boolean equal = total == 0;
        int sum = 0;
        for (int i = 0; i < weights.length; i++) {
          sum += equal ? 1 : weights[i];
          cum[i] = sum;
        }
        this.cumulative = cum;
      }
    }

    boolean matches(OutboundRequest req) {
      if (matches.isEmpty()) {
        return true;
      }
      for (HttpMatch m : matches) {
        if (matchesBlock(m, req)) {
          return true;
        }
      }
      return false;
    }

    private static boolean matchesBlock(HttpMatch m, OutboundRequest req) {
      if (m.uri() != null && !matchesUri(m.uri(), req.path())) {
        return false;
      }
      if (m.method() != null && !m.method().matches(req.method())) {
        return false;
      }
      for (Map.Entry<String, StringMatch> h : m.headers().entrySet()) {
        String v = req.header(h.getKey());
        if (v == null) {
          return false;
        }
        if (h.getValue() != null && !h.getValue().matches(v)) {
          return false;
        }
      }
      return true;
    }

    /** As Envoy does for Istio: exact and regex compare the path without its query; prefix the whole. */
    private static boolean matchesUri(StringMatch uri, String path) {
      if (uri.kind() == StringMatch.Kind.PREFIX) {
        return uri.matches(path);
      }
      int q = path.indexOf('?');
      return uri.matches(q >= 0 ? path.substring(0, q) : path);
    }

    Cluster pick() {
      if (cumulative == null) {
        return clusters[0];
      }
      int total = cumulative[cumulative.length - 1];
      int x = ThreadLocalRandom.current().nextInt(total);
      for (int i = 0; i < cumulative.length; i++) {
        if (x < cumulative[i]) {
          return clusters[i];
        }
      }
      return clusters[clusters.length - 1];
    }

    Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      if (name != null) {
        m.put("name", name);
      }
      List<String> ms = new ArrayList<>();
      for (HttpMatch hm : matches) {
        ms.add(hm.toString());
      }
      m.put("match", ms.isEmpty() ? "any" : ms);
      List<Object> ds = new ArrayList<>();
      int prev = 0;
      for (int i = 0; i < clusters.length; i++) {
        Map<String, Object> d = clusters[i].describe();
        if (cumulative != null) {
          d.put("share", (cumulative[i] - prev) + "/" + cumulative[cumulative.length - 1]);
          prev = cumulative[i];
        } else {
          d.put("share", "all");
        }
        ds.add(d);
      }
      m.put("destinations", ds);
      return m;
    }
  }
}
