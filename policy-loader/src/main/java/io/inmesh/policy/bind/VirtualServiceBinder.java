package io.inmesh.policy.bind;

import io.inmesh.policy.model.Destination;
import io.inmesh.policy.model.HttpMatch;
import io.inmesh.policy.model.HttpRoute;
import io.inmesh.policy.model.ResourceRef;
import io.inmesh.policy.model.RouteDestination;
import io.inmesh.policy.model.StringMatch;
import io.inmesh.policy.model.VirtualService;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Binds and checks a VirtualService spec (https://istio.io/latest/docs/reference/config/networking/virtual-service/). */
final class VirtualServiceBinder {

  private static final Set<String> SPEC = Set.of("hosts", "gateways", "http", "tls", "tcp", "exportTo");
  private static final Set<String> HTTP_ROUTE = Set.of("name", "match", "route");
  private static final Set<String> HTTP_ROUTE_LATER =
      Set.of(
          "redirect",
          "directResponse",
          "delegate",
          "rewrite",
          "timeout",
          "retries",
          "fault",
          "mirror",
          "mirrors",
          "mirrorPercentage",
          "mirrorPercent",
          "mirror_percent",
          "corsPolicy",
          "headers");
  private static final Set<String> MATCH = Set.of("name", "uri", "method", "headers");
  private static final Set<String> MATCH_LATER =
      Set.of(
          "scheme",
          "authority",
          "port",
          "queryParams",
          "ignoreUriCase",
          "withoutHeaders",
          "sourceLabels",
          "sourceNamespace",
          "gateways",
          "statPrefix");
  private static final Set<String> ROUTE_DESTINATION = Set.of("destination", "weight");
  private static final Set<String> DESTINATION = Set.of("host", "subset", "port");

  private VirtualServiceBinder() {}

  static VirtualService bind(ResourceRef ref, String file, Cursor spec) {
    spec.checkFields(SPEC, null);
    for (String later : new String[] {"gateways", "tls", "tcp"}) {
      if (spec.get(later).present()) {
        spec.get(later).warn("parsed but not enforced: inmesh routes mesh-internal HTTP", null);
      }
    }
    if (spec.get("exportTo").present()) {
      spec.get("exportTo").stringList();
      spec.get("exportTo").warn("parsed but not enforced by this inmesh version: the rule is visible to every namespace", null);
    }

    List<HttpRoute> http = new ArrayList<>();
    List<Cursor> httpCursors = spec.get("http").items();
    for (Cursor h : httpCursors) {
      HttpRoute r = bindHttpRoute(h);
      if (r != null) {
        http.add(r);
      }
    }
    if (!spec.get("http").present()) {
      spec.warn("no http routes: this VirtualService routes nothing", "add spec.http with at least one route");
    }
    checkUnreachable(httpCursors, http);

    List<String> hosts = spec.get("hosts").stringList();
    for (int i = 0; i < hosts.size(); i++) {
      if (!DnsNames.isHost(hosts.get(i))) {
        spec.get("hosts").items().get(i).error("\"" + hosts.get(i) + "\" is not a valid host", "use a DNS name such as reviews, reviews.prod or reviews.prod.svc.cluster.local");
      }
    }
    if (!spec.get("hosts").present() || hosts.isEmpty()) {
      Set<String> inferred = new LinkedHashSet<>();
      for (HttpRoute r : http) {
        for (RouteDestination d : r.route()) {
          if (d.destination() != null && d.destination().host() != null) {
            inferred.add(d.destination().host());
          }
        }
      }
      if (inferred.isEmpty()) {
        spec.error("spec.hosts is missing and cannot be inferred (no route destinations)", "add hosts: [<service>]");
      } else {
        hosts = List.copyOf(inferred);
        spec.warn(
            "spec.hosts is missing (Istio requires it); inmesh infers " + hosts + " from the route destinations",
            "add hosts: " + hosts + " so Istio accepts this file too");
      }
    }
    return new VirtualService(ref, file, List.copyOf(hosts), List.copyOf(http));
  }

  private static HttpRoute bindHttpRoute(Cursor h) {
    if (!h.expectMap()) {
      return null;
    }
    h.checkFields(union(HTTP_ROUTE, HTTP_ROUTE_LATER), null);
    for (String later : HTTP_ROUTE_LATER) {
      if (h.get(later).present()) {
        h.get(later).warn("parsed but not enforced by this inmesh version; ignored", null);
      }
    }
    String name = h.get("name").string();
    List<HttpMatch> matches = new ArrayList<>();
    for (Cursor m : h.get("match").items()) {
      HttpMatch hm = bindMatch(m);
      if (hm != null) {
        matches.add(hm);
      }
    }
    List<RouteDestination> route = new ArrayList<>();
    List<Cursor> routeCursors = h.get("route").items();
    for (Cursor rd : routeCursors) {
      RouteDestination d = bindRouteDestination(rd);
      if (d != null) {
        route.add(d);
      }
    }
    if (!h.get("route").present() || routeCursors.isEmpty()) {
      if (!h.get("redirect").present() && !h.get("directResponse").present() && !h.get("delegate").present()) {
        h.error("needs route (or redirect, directResponse or delegate)", "add route: [{destination: {host: <service>}}]");
      }
    } else {
      checkWeights(h, routeCursors, route);
    }
    return new HttpRoute(name, List.copyOf(matches), List.copyOf(route));
  }

  private static void checkWeights(Cursor h, List<Cursor> cursors, List<RouteDestination> route) {
    if (route.size() == 1) {
      Integer w = route.get(0).weight();
      if (w != null && w != 100) {
        cursors.get(0)
            .get("weight")
            .warn(
                "a lone destination gets 100% of its rule whatever its weight (Istio); weight " + w + " has no effect",
                "to send " + w + "% here, list the other destination(s) of this rule with their weights");
      }
      return;
    }
    int total = 0;
    for (RouteDestination d : route) {
      total += d.weight() == null ? 0 : d.weight();
    }
    if (total != 100) {
      h.get("route")
          .warn(
              "weights sum to " + total + ", not 100; inmesh splits in proportion to them"
                  + (total == 0 ? " (all zero: equally)" : ""),
              "make the weights of a multi-destination route add up to 100");
    }
  }

  private static HttpMatch bindMatch(Cursor m) {
    if (!m.expectMap()) {
      return null;
    }
    m.checkFields(union(MATCH, MATCH_LATER), null);
    for (String later : MATCH_LATER) {
      if (m.get(later).present()) {
        m.get(later).warn("parsed but not enforced by this inmesh version; this condition is ignored", null);
      }
    }
    String name = m.get("name").string();
    StringMatch uri = m.get("uri").present() ? StringMatchBinder.bind(m.get("uri")) : null;
    StringMatch method = m.get("method").present() ? StringMatchBinder.bind(m.get("method")) : null;
    Map<String, StringMatch> headers = new LinkedHashMap<>();
    for (Map.Entry<String, Cursor> e : m.get("headers").entries().entrySet()) {
      String key = e.getKey();
      String lower = key.toLowerCase(Locale.ROOT);
      if (!lower.equals(key)) {
        e.getValue().warn("header names must be lower case in Istio; matching \"" + lower + "\"", null);
      }
      Cursor v = e.getValue();
      if (v.raw() instanceof Map<?, ?> map && map.isEmpty()) {
        headers.put(lower, null); // {} means: present with any value
      } else {
        StringMatch sm = StringMatchBinder.bind(v);
        if (sm != null) {
          headers.put(lower, sm);
        }
      }
    }
    return new HttpMatch(name, uri, method, Collections.unmodifiableMap(headers));
  }

  private static RouteDestination bindRouteDestination(Cursor rd) {
    if (!rd.expectMap()) {
      return null;
    }
    rd.checkFields(union(ROUTE_DESTINATION, Set.of("headers")), null);
    if (rd.get("headers").present()) {
      rd.get("headers").warn("parsed but not enforced by this inmesh version; ignored", null);
    }
    Cursor dc = rd.get("destination");
    Destination dest = null;
    if (!dc.present()) {
      rd.error("missing destination", "add destination: {host: <service>, subset: <name>}");
    } else if (dc.expectMap()) {
      dc.checkFields(DESTINATION, null);
      String host = dc.get("host").string();
      if (host == null && !dc.get("host").present()) {
        dc.error("missing destination.host", null);
      } else if (host != null && !DnsNames.isHost(host)) {
        dc.get("host").error("\"" + host + "\" is not a valid host", null);
      }
      String subset = dc.get("subset").string();
      Integer port = null;
      Cursor pc = dc.get("port");
      if (pc.present() && pc.expectMap()) {
        pc.checkFields(Set.of("number"), null);
        port = pc.get("number").integer(1, 65535);
      }
      dest = new Destination(host, subset, port);
    }
    Integer weight = rd.get("weight").integer(0, 100);
    return dest == null ? null : new RouteDestination(dest, weight);
  }

  /** Istio: the first matching rule wins, so rules after a catch-all are never used. */
  private static void checkUnreachable(List<Cursor> cursors, List<HttpRoute> http) {
    if (http.size() != cursors.size()) {
      return; // some rules did not bind; their errors say enough
    }
    for (int i = 0; i < http.size() - 1; i++) {
      if (http.get(i).match().isEmpty()) {
        cursors.get(i + 1)
            .warn(
                "unreachable: http[" + i + "] has no match and catches every request first",
                "move the catch-all rule last");
        return;
      }
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> s = new LinkedHashSet<>(a);
    s.addAll(b);
    return s;
  }
}
