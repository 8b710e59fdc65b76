package io.inmesh.policy.compile;

import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.OutboundRequest;
import io.inmesh.policy.model.Headers;
import io.inmesh.policy.model.HttpMatch;
import io.inmesh.policy.model.StringMatch;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The compiled routing of one host: the HTTP rules of its VirtualService in order (the first
 * matching rule wins), or, without a VirtualService, every endpoint of the service. Match blocks
 * whose selectors (sourceLabels, sourceNamespace, gateways) exclude this workload were dropped at
 * compile time, and rules left without a block with them, so a decision only evaluates runtime
 * conditions.
 */
public final class HostRoute {
  private final ServiceKey service;
  private final String virtualService;
  private final Rule[] rules;
  /** ServiceEntry HTTP ports the host answers on; null: any port. */
  private final int[] ports;

  HostRoute(ServiceKey service, String virtualService, Rule[] rules) {
    this(service, virtualService, rules, null);
  }

  HostRoute(ServiceKey service, String virtualService, Rule[] rules, int[] ports) {
    this.service = service;
    this.virtualService = virtualService;
    this.rules = rules;
    this.ports = ports;
  }

  public ServiceKey service() {
    return service;
  }

  /** {@code namespace/name} of the VirtualService in force, or null for the default route. */
  public String virtualService() {
    return virtualService;
  }

  /** The number of compiled rules (the range of {@link RouteDecision.Routed#rule()}). */
  public int ruleCount() {
    return rules.length;
  }

  /** The compiled policy of rule {@code i}. */
  public RoutePolicy policy(int i) {
    return rules[i].policy;
  }

  /** The header operations of destination {@code d} of rule {@code i}. */
  public Headers destinationHeaders(int i, int d) {
    Headers[] h = rules[i].destinationHeaders;
    return d >= 0 && d < h.length ? h[d] : Headers.NONE;
  }

  /**
   * The uri prefix of the first match block of rule {@code i} that matches the request and
   * matches the uri by prefix, or null: Istio's {@code rewrite.uri} replaces that matched prefix
   * and, for other matches, the whole path.
   */
  public String matchedPrefix(int i, OutboundRequest request) {
    Rule rule = rules[i];
    if (rule.matches == null) {
      return null;
    }
    String path = request.path() == null || request.path().isEmpty() ? "/" : request.path();
    int q = path.indexOf('?');
    Request r = new Request(request, path, q < 0 ? path.length() : q);
    for (Match m : rule.matches) {
      if (m.matches(r)) {
        return m.uri != null && m.uri.kind() == io.inmesh.policy.model.StringMatch.Kind.PREFIX ? m.uri.value() : null;
      }
    }
    return null;
  }

  /**
   * Resolve + split for one call. Null when the call is not for this host after all: a
   * ServiceEntry host called on a port it does not declare as HTTP passes through untouched.
   */
  public RouteDecision decide(OutboundRequest request) {
    int callPort = request.port();
    if (ports != null && !declares(effectivePort(request))) {
      return null;
    }
    String path = request.path();
    if (path == null || path.isEmpty()) {
      path = "/";
    }
    int q = path.indexOf('?');
    int pathEnd = q < 0 ? path.length() : q;
    Request r = null;
    for (int i = 0; i < rules.length; i++) {
      Rule rule = rules[i];
      if (rule.matches != null || rule.parentMatches != null) {
        if (r == null) {
          r = new Request(request, path, pathEnd);
        }
        if (!rule.matches(r)) {
          continue;
        }
      }
      if (rule.answer != null) {
        return new RouteDecision.Local(this, i, rule.answer);
      }
      int d = rule.pickIndex();
      Cluster c = rule.clusters[d];
      if (!c.defined()) {
        return new RouteDecision.Local(this, i, RouteDecision.NO_CLUSTER);
      }
      InetSocketAddress[] addresses = c.addressesFor(callPort);
      if (addresses.length == 0) {
        return new RouteDecision.Local(this, i, RouteDecision.NO_HEALTHY_UPSTREAM);
      }
      return new RouteDecision.Routed(this, i, c, addresses, d, callPort);
    }
    return new RouteDecision.Local(this, -1, RouteDecision.NO_ROUTE);
  }

  private boolean declares(int port) {
    for (int p : ports) {
      if (p == port) {
        return true;
      }
    }
    return false;
  }

  static int effectivePort(OutboundRequest req) {
    int p = req.port();
    if (p >= 0) {
      return p;
    }
    return "https".equalsIgnoreCase(req.scheme()) ? 443 : 80;
  }

  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("service", service.toString());
    m.put("virtualService", virtualService);
    if (ports != null) {
      List<Integer> ps = new ArrayList<>();
      for (int p : ports) {
        ps.add(p);
      }
      m.put("ports", ps);
    }
    List<Object> rs = new ArrayList<>();
    for (Rule r : rules) {
      rs.add(r.describe());
    }
    m.put("rules", rs);
    return m;
  }

  /** A request with the parts rules look at more than once. */
  static final class Request {
    final OutboundRequest req;
    final String path;
    final int pathEnd;
    private String authority;

    Request(OutboundRequest req, String path, int pathEnd) {
      this.req = req;
      this.path = path;
      this.pathEnd = pathEnd;
    }

    /** The Host header if the application set one, else host[:port] as the URL has it. */
    String authority() {
      if (authority == null) {
        String h = req.header("host");
        authority = h != null ? h : req.port() >= 0 ? req.host() + ":" + req.port() : req.host();
      }
      return authority;
    }

    /** The first value of a query parameter ("" for {@code ?key}), null when absent. */
    String queryParam(String name) {
      if (pathEnd >= path.length()) {
        return null;
      }
      int i = pathEnd + 1;
      int n = path.length();
      int hash = path.indexOf('#', i);
      if (hash >= 0) {
        n = hash;
      }
      while (i <= n) {
        int amp = path.indexOf('&', i);
        int end = amp < 0 || amp > n ? n : amp;
        int eq = path.indexOf('=', i);
        int keyEnd = eq < 0 || eq > end ? end : eq;
        if (keyEnd - i == name.length() && path.regionMatches(i, name, 0, name.length())) {
          return keyEnd == end ? "" : path.substring(keyEnd + 1, end);
        }
        i = end + 1;
      }
      return null;
    }
  }

  /** One match block, compiled: every condition set must hold. */
  static final class Match {
    final StringMatch uri;
    final boolean ignoreUriCase;
    final StringMatch scheme;
    final StringMatch method;
    final StringMatch authority;
    final String[] headerNames;
    final StringMatch[] headerValues;
    final String[] withoutNames;
    final StringMatch[] withoutValues;
    final String[] queryNames;
    final StringMatch[] queryValues;
    final int port;
    final String text;

    Match(HttpMatch m) {
      uri = m.uri();
      ignoreUriCase = m.ignoreUriCase();
      scheme = m.scheme();
      method = m.method();
      authority = m.authority();
      headerNames = m.headers().keySet().toArray(new String[0]);
      headerValues = m.headers().values().toArray(new StringMatch[0]);
      withoutNames = m.withoutHeaders().keySet().toArray(new String[0]);
      withoutValues = m.withoutHeaders().values().toArray(new StringMatch[0]);
      queryNames = m.queryParams().keySet().toArray(new String[0]);
      queryValues = m.queryParams().values().toArray(new StringMatch[0]);
      port = m.port();
      text = describe(m);
    }

    boolean matches(Request r) {
      if (uri != null && !matchesUri(r)) {
        return false;
      }
      if (port != 0 && port != effectivePort(r.req)) {
        return false;
      }
      if (method != null && !method.matches(r.req.method())) {
        return false;
      }
      if (scheme != null && !scheme.matches(r.req.scheme())) {
        return false;
      }
      if (authority != null && !authority.matches(r.authority())) {
        return false;
      }
      for (int i = 0; i < headerNames.length; i++) {
        String v = r.req.header(headerNames[i]);
        if (v == null || (headerValues[i] != null && !headerValues[i].matches(v))) {
          return false;
        }
      }
      for (int i = 0; i < withoutNames.length; i++) {
        String v = r.req.header(withoutNames[i]);
        if (v != null && (withoutValues[i] == null || withoutValues[i].matches(v))) {
          return false;
        }
      }
      for (int i = 0; i < queryNames.length; i++) {
        String v = r.queryParam(queryNames[i]);
        if (v == null || (queryValues[i] != null && !queryValues[i].matches(v))) {
          return false;
        }
      }
      return true;
    }

    /**
     * As Envoy does for Istio: a prefix applies to the whole path, exact and regex to the path
     * without its query; ignoreUriCase applies to exact and prefix only.
     */
    private boolean matchesUri(Request r) {
      if (uri.kind() == StringMatch.Kind.PREFIX) {
        return uri.matches(r.path, r.path.length(), ignoreUriCase);
      }
      return uri.matches(r.path, r.pathEnd, ignoreUriCase);
    }

    private static String describe(HttpMatch m) {
      List<String> parts = new ArrayList<>();
      if (m.name() != null) {
        parts.add("name=" + m.name());
      }
      if (m.uri() != null) {
        parts.add("uri " + m.uri() + (m.ignoreUriCase() ? " (ignore case)" : ""));
      }
      if (m.scheme() != null) {
        parts.add("scheme " + m.scheme());
      }
      if (m.method() != null) {
        parts.add("method " + m.method());
      }
      if (m.authority() != null) {
        parts.add("authority " + m.authority());
      }
      m.headers().forEach((k, v) -> parts.add("header " + k + (v == null ? " present" : " " + v)));
      m.withoutHeaders().forEach((k, v) -> parts.add("without header " + k + (v == null ? "" : " " + v)));
      m.queryParams().forEach((k, v) -> parts.add("query " + k + (v == null ? " present" : " " + v)));
      if (m.port() != 0) {
        parts.add("port " + m.port());
      }
      return parts.isEmpty() ? "any" : String.join(", ", parts);
    }
  }

  /** One http[] rule: OR of match blocks, then a weighted pick of a destination, or a local answer. */
  static final class Rule {
    final String name;
    /** Null: matches every request; otherwise one of these must match. */
    final Match[] matches;
    /** For a delegated rule: the root rule's blocks, one of which must match too; else null. */
    final Match[] parentMatches;
    final Cluster[] clusters;
    final Headers[] destinationHeaders;
    /** Cumulative weights; null when there is one destination (it gets 100%, as in Istio). */
    final int[] cumulative;
    /** Non-null for a rule that answers itself (directResponse, redirect). */
    final LocalAnswer answer;
    final RoutePolicy policy;

    Rule(
        String name,
        Match[] matches,
        Match[] parentMatches,
        Cluster[] clusters,
        int[] weights,
        Headers[] destinationHeaders,
        LocalAnswer answer,
        RoutePolicy policy) {
      this.name = name;
      this.matches = matches;
      this.parentMatches = parentMatches;
      this.clusters = clusters;
      this.destinationHeaders = destinationHeaders;
      this.answer = answer;
      this.policy = policy;
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

    boolean matches(Request r) {
      return anyMatches(parentMatches, r) && anyMatches(matches, r);
    }

    private static boolean anyMatches(Match[] blocks, Request r) {
      if (blocks == null) {
        return true;
      }
      for (Match m : blocks) {
        if (m.matches(r)) {
          return true;
        }
      }
      return false;
    }

    int pickIndex() {
      if (cumulative == null) {
        return 0;
      }
      int total = cumulative[cumulative.length - 1];
      int x = ThreadLocalRandom.current().nextInt(total);
      for (int i = 0; i < cumulative.length; i++) {
        if (x < cumulative[i]) {
          return i;
        }
      }
      return clusters.length - 1;
    }

    Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      if (name != null) {
        m.put("name", name);
      }
      m.put("match", blocks(matches));
      if (parentMatches != null) {
        m.put("delegatedFrom", blocks(parentMatches));
      }
      if (answer != null) {
        m.put("answer", answer.status() + " " + answer.reason());
      }
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
      if (!ds.isEmpty()) {
        m.put("destinations", ds);
      }
      if (policy != null) {
        if (policy.timeout() != null) {
          m.put("timeout", policy.timeout().toString());
        }
        if (policy.retries() != null) {
          m.put("retries", policy.retries().enabled() ? policy.retries().attempts() + " on " + policy.retries().retryOn() : "off");
        }
        if (policy.fault() != null) {
          m.put("fault", policy.fault().toString());
        }
        if (!policy.mirrors().isEmpty()) {
          List<String> mirrors = new ArrayList<>();
          for (RoutePolicy.Mirror mi : policy.mirrors()) {
            mirrors.add(mi.cluster().name() + " " + mi.percentage() + "%");
          }
          m.put("mirrors", mirrors);
        }
      }
      return m;
    }

    private static Object blocks(Match[] ms) {
      if (ms == null) {
        return "any";
      }
      List<String> out = new ArrayList<>();
      for (Match x : ms) {
        out.add(x.text);
      }
      return out;
    }
  }
}
