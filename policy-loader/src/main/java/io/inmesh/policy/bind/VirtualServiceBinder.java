package io.inmesh.policy.bind;

import io.inmesh.policy.Enforcement;
import io.inmesh.policy.model.CorsPolicy;
import io.inmesh.policy.model.Destination;
import io.inmesh.policy.model.Headers;
import io.inmesh.policy.model.HttpDirectResponse;
import io.inmesh.policy.model.HttpFault;
import io.inmesh.policy.model.HttpMatch;
import io.inmesh.policy.model.HttpMirror;
import io.inmesh.policy.model.HttpRedirect;
import io.inmesh.policy.model.HttpRetry;
import io.inmesh.policy.model.HttpRewrite;
import io.inmesh.policy.model.HttpRoute;
import io.inmesh.policy.model.ResourceRef;
import io.inmesh.policy.model.RouteDestination;
import io.inmesh.policy.model.StringMatch;
import io.inmesh.policy.model.VirtualService;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Binds and checks a VirtualService spec
 * (https://istio.io/latest/docs/reference/config/networking/virtual-service/), with the checks
 * Istio's own validation makes (mutually exclusive actions, weights, retries, durations, regex
 * size) so that a file inmesh accepts is one Istio accepts too.
 */
final class VirtualServiceBinder {

  private static final Set<String> SPEC = Set.of("hosts", "gateways", "http", "tls", "tcp", "exportTo");
  private static final Set<String> HTTP_ROUTE =
      Set.of(
          "name",
          "match",
          "route",
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
          "corsPolicy",
          "headers");
  private static final Map<String, String> HTTP_ROUTE_HINTS =
      Map.of(
          "retry", "Istio calls this retries",
          "timeouts", "Istio calls this timeout",
          "mirror_percent", "Istio calls this mirrorPercentage: {value: N}",
          "matches", "Istio calls this match",
          "routes", "Istio calls this route",
          "destination", "put destinations in route: [{destination: {...}}]");
  private static final Set<String> MATCH =
      Set.of(
          "name",
          "uri",
          "scheme",
          "method",
          "authority",
          "headers",
          "port",
          "sourceLabels",
          "gateways",
          "queryParams",
          "ignoreUriCase",
          "withoutHeaders",
          "sourceNamespace",
          "statPrefix");
  private static final Set<String> ROUTE_DESTINATION = Set.of("destination", "weight", "headers");
  /** Envoy's retry conditions Istio accepts in retryOn (besides HTTP status codes). */
  static final Set<String> RETRY_ON =
      Set.of(
          "5xx",
          "gateway-error",
          "reset",
          "connect-failure",
          "envoy-ratelimited",
          "retriable-4xx",
          "refused-stream",
          "retriable-status-codes",
          "retriable-headers",
          "reset-before-request",
          "http3-post-connect-failure",
          "cancelled",
          "deadline-exceeded",
          "internal",
          "resource-exhausted",
          "unavailable");
  static final Set<String> GRPC_STATUS =
      Set.of(
          "OK",
          "CANCELLED",
          "UNKNOWN",
          "INVALID_ARGUMENT",
          "DEADLINE_EXCEEDED",
          "NOT_FOUND",
          "ALREADY_EXISTS",
          "PERMISSION_DENIED",
          "RESOURCE_EXHAUSTED",
          "FAILED_PRECONDITION",
          "ABORTED",
          "OUT_OF_RANGE",
          "UNIMPLEMENTED",
          "INTERNAL",
          "UNAVAILABLE",
          "DATA_LOSS",
          "UNAUTHENTICATED");

  private VirtualServiceBinder() {}

  static VirtualService bind(ResourceRef ref, String file, Cursor spec) {
    spec.checkFields(SPEC, null);
    List<String> gateways = gateways(spec.get("gateways"), ref.namespace());
    boolean appliesToMesh = gateways.isEmpty() || gateways.contains("mesh");
    if (!appliesToMesh) {
      spec.get("gateways")
          .warn(
              "bound to gateways " + gateways + " only, not to \"mesh\": inmesh agents act as the mesh's sidecars, so"
                  + " none of this VirtualService applies to them",
              "add \"mesh\" to gateways to apply these rules to calls between services too");
    }
    List<String> exportTo = CommonBinders.exportTo(spec.get("exportTo"));
    for (String l4 : new String[] {"tls", "tcp"}) {
      Cursor c = spec.get(l4);
      if (c.present()) {
        c.items(); // type-checked: a list
        c.notEnforced(Enforcement.TCP_TLS_ROUTES);
      }
    }

    List<HttpRoute> http = new ArrayList<>();
    List<Cursor> httpCursors = spec.get("http").items();
    for (Cursor h : httpCursors) {
      HttpRoute r = bindHttpRoute(h, ref.namespace());
      if (r != null) {
        http.add(r);
      }
    }
    if (!spec.get("http").present() && !spec.get("tcp").present() && !spec.get("tls").present()) {
      spec.warn("no http routes: this VirtualService routes nothing", "add spec.http with at least one route");
    }
    checkUnreachable(httpCursors, http);

    Cursor hostsCursor = spec.get("hosts");
    List<Cursor> hostItems = hostsCursor.items();
    List<String> hosts = new ArrayList<>();
    Set<String> seenHosts = new HashSet<>();
    for (Cursor hc : hostItems) {
      String h = hc.string();
      if (h == null) {
        continue;
      }
      if (!DnsNames.isHost(h) && !DnsNames.isIp(h)) {
        hc.error(
            "\"" + h + "\" is not a valid host",
            "use a DNS name such as reviews, reviews.prod or reviews.prod.svc.cluster.local");
      } else if (h.equals("*") && appliesToMesh) {
        hc.error(
            "wildcard host * is not allowed for virtual services bound to the mesh gateway",
            "name the hosts, or a domain wildcard such as *.example.com");
      } else if (!seenHosts.add(h.toLowerCase(Locale.ROOT))) {
        hc.error("duplicate host \"" + h + "\"", null);
      } else {
        hosts.add(h);
      }
    }
    boolean inferred = false;
    if (!hostsCursor.present() || hostItems.isEmpty()) {
      Set<String> fromDestinations = new LinkedHashSet<>();
      for (HttpRoute r : http) {
        for (RouteDestination d : r.route()) {
          fromDestinations.add(d.destination().host());
        }
      }
      if (fromDestinations.isEmpty()) {
        spec.warn(
            "spec.hosts is missing: this VirtualService applies only as the delegate of another one",
            "add hosts: [<service>] unless another VirtualService delegates to this one");
      } else {
        hosts = List.copyOf(fromDestinations);
        inferred = true;
        spec.warn(
            "spec.hosts is missing (Istio requires it, except for a delegate); inmesh infers " + hosts
                + " from the route destinations, unless another VirtualService delegates to this one",
            "add hosts: " + hosts + " so Istio accepts this file too");
      }
    }
    return new VirtualService(ref, file, List.copyOf(hosts), List.copyOf(http), exportTo, gateways, inferred);
  }

  /** Gateway names, with {@code name} qualified by the VirtualService's namespace as Istio does. */
  private static List<String> gateways(Cursor c, String namespace) {
    List<String> out = new ArrayList<>();
    for (Cursor g : c.items()) {
      String s = g.string();
      if (s == null) {
        continue;
      }
      if (s.equals("mesh")) {
        out.add(s);
        continue;
      }
      String[] parts = s.split("/", -1);
      boolean ok =
          parts.length == 1
              ? DnsNames.isDns1123Subdomain(s)
              : parts.length == 2 && DnsNames.isDns1123Label(parts[0]) && DnsNames.isDns1123Subdomain(parts[1]);
      if (!ok) {
        g.error("\"" + s + "\" is not a gateway name", "use mesh, <name> or <namespace>/<name>");
        continue;
      }
      out.add(parts.length == 1 ? namespace + "/" + s : s);
    }
    return List.copyOf(out);
  }

  private static HttpRoute bindHttpRoute(Cursor h, String namespace) {
    if (!h.expectMap()) {
      return null;
    }
    h.checkFields(HTTP_ROUTE, HTTP_ROUTE_HINTS);
    int errorsBefore = errorCount(h);
    String name = h.get("name").string();

    List<HttpMatch> matches = new ArrayList<>();
    List<Cursor> matchCursors = h.get("match").items();
    for (Cursor m : matchCursors) {
      HttpMatch hm = bindMatch(m, namespace);
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
    boolean hasRoute = !routeCursors.isEmpty();
    boolean hasRedirect = h.get("redirect").present();
    boolean hasDirect = h.get("directResponse").present();
    boolean hasDelegate = h.get("delegate").present();
    if (hasRoute && hasRedirect) {
      h.error("a rule cannot have both route and redirect", "keep one of them");
    }
    if (hasDirect && (hasRoute || hasRedirect)) {
      h.get("directResponse").error("directResponse can be set only when route and redirect are empty", null);
    }
    if (hasDelegate && (hasRoute || hasRedirect || hasDirect)) {
      h.get("delegate").error("delegate can be set only when route, redirect and directResponse are empty", null);
    }
    if (!hasRoute && !hasRedirect && !hasDirect && !hasDelegate) {
      h.error("needs route (or redirect, directResponse or delegate)", "add route: [{destination: {host: <service>}}]");
    }
    if (hasRoute) {
      checkWeights(h, routeCursors, route);
    }

    HttpRedirect redirect = hasRedirect ? redirect(h.get("redirect")) : null;
    HttpDirectResponse direct = hasDirect ? directResponse(h.get("directResponse")) : null;
    io.inmesh.policy.model.ResourceRef delegate = hasDelegate ? delegate(h.get("delegate"), namespace) : null;

    Cursor rw = h.get("rewrite");
    HttpRewrite rewrite = rw.present() ? rewrite(rw) : null;
    if (rw.present() && hasRedirect) {
      rw.error("rewrite cannot be used together with redirect", null);
    }
    rw.notEnforced(Enforcement.REWRITE);
    h.get("redirect").notEnforced(Enforcement.REDIRECT);

    Cursor tc = h.get("timeout");
    Duration timeout = tc.duration(false);
    tc.notEnforced(Enforcement.TIMEOUT);

    Cursor rc = h.get("retries");
    HttpRetry retries = rc.present() ? retries(rc) : null;
    rc.notEnforced(Enforcement.RETRIES);

    Cursor fc = h.get("fault");
    HttpFault fault = fc.present() ? fault(fc) : null;
    fc.notEnforced(Enforcement.FAULT);
    if (fault != null && (retries != null && retries.enabled() || timeout != null)) {
      fc.warn(
          "with a fault on this rule, Istio turns its "
              + (timeout != null && retries != null ? "timeout and retries" : timeout != null ? "timeout" : "retries")
              + " off (\"timeouts or retries will not be enabled when faults are enabled\")",
          "test faults on a rule of their own (e.g. matched by a header)");
    }

    List<HttpMirror> mirrors = mirrors(h);
    Headers headers = CommonBinders.headers(h.get("headers"));
    h.get("headers").notEnforced(Enforcement.HEADERS);
    CorsPolicy cors = null;
    Cursor cc = h.get("corsPolicy");
    if (cc.present() && cc.expectMap()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> raw = (Map<String, Object>) cc.raw();
      cors = new CorsPolicy(raw);
      cc.notEnforced(Enforcement.CORS);
    }
    if (errorCount(h) > errorsBefore) {
      return null;
    }
    return new HttpRoute(
        name,
        List.copyOf(matches),
        List.copyOf(route),
        redirect,
        direct,
        delegate,
        rewrite,
        timeout,
        retries,
        fault,
        mirrors,
        headers,
        cors);
  }

  private static int errorCount(Cursor c) {
    int n = 0;
    for (var d : c.context().diagnostics()) {
      if (d.isError()) {
        n++;
      }
    }
    return n;
  }

  private static void checkWeights(Cursor h, List<Cursor> cursors, List<RouteDestination> route) {
    if (cursors.size() != route.size()) {
      return; // some destinations did not bind; their errors say enough
    }
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
    if (total == 0) {
      h.get("route")
          .error(
              "total destination weight = 0: with several destinations, weights decide the split",
              "give each destination a weight; they should add up to 100");
    } else if (total != 100) {
      h.get("route")
          .warn(
              "weights sum to " + total + ", not 100; each destination gets weight/" + total + " of the requests (Istio)",
              "make the weights of a multi-destination route add up to 100");
    }
  }

  private static HttpMatch bindMatch(Cursor m, String namespace) {
    if (!m.expectMap()) {
      return null;
    }
    m.checkFields(MATCH, Map.of("path", "Istio matches the path with uri: {prefix: ...}", "query", "Istio calls this queryParams"));
    String name = m.get("name").string();
    StringMatch uri = m.get("uri").present() ? StringMatchBinder.bind(m.get("uri")) : null;
    StringMatch scheme = m.get("scheme").present() ? StringMatchBinder.bind(m.get("scheme")) : null;
    StringMatch method = m.get("method").present() ? StringMatchBinder.bind(m.get("method")) : null;
    StringMatch authority = m.get("authority").present() ? StringMatchBinder.bind(m.get("authority")) : null;
    Map<String, StringMatch> headers = headerMatches(m.get("headers"), true);
    Map<String, StringMatch> without = headerMatches(m.get("withoutHeaders"), true);
    Map<String, StringMatch> query = new LinkedHashMap<>();
    for (Map.Entry<String, Cursor> e : m.get("queryParams").entries().entrySet()) {
      StringMatch sm = valueMatch(e.getValue());
      if (sm != null || isEmptyMap(e.getValue())) {
        query.put(e.getKey(), sm);
      }
    }
    Boolean ignoreCase = m.get("ignoreUriCase").bool();
    Integer port = m.get("port").present() ? m.get("port").port() : null;
    Map<String, String> sourceLabels = m.get("sourceLabels").stringMap();
    String sourceNamespace = m.get("sourceNamespace").string();
    if (sourceNamespace != null && !DnsNames.isDns1123Label(sourceNamespace)) {
      m.get("sourceNamespace").error("\"" + sourceNamespace + "\" is not a valid namespace", null);
    }
    List<String> gateways = gateways(m.get("gateways"), namespace);
    String statPrefix = m.get("statPrefix").string();
    if (statPrefix != null) {
      m.get("statPrefix").warn("parsed but not used: inmesh has no per-route statistics yet", null);
    }
    return new HttpMatch(
        name,
        uri,
        scheme,
        method,
        authority,
        Collections.unmodifiableMap(headers),
        Collections.unmodifiableMap(query),
        Collections.unmodifiableMap(without),
        Boolean.TRUE.equals(ignoreCase),
        port == null ? 0 : port,
        sourceLabels,
        sourceNamespace,
        gateways,
        statPrefix);
  }

  private static boolean isEmptyMap(Cursor c) {
    return c.raw() instanceof Map<?, ?> map && map.isEmpty();
  }

  /** {@code {}} means "present with any value" (null); otherwise a StringMatch. */
  private static StringMatch valueMatch(Cursor v) {
    if (isEmptyMap(v)) {
      return null;
    }
    return StringMatchBinder.bind(v, true);
  }

  private static Map<String, StringMatch> headerMatches(Cursor c, boolean lowerCase) {
    Map<String, StringMatch> out = new LinkedHashMap<>();
    for (Map.Entry<String, Cursor> e : c.entries().entrySet()) {
      String key = e.getKey();
      Cursor v = e.getValue();
      String lower = key.toLowerCase(Locale.ROOT);
      if (lowerCase && !lower.equals(key)) {
        v.warn("header names must be lower case in Istio; matching \"" + lower + "\"", null);
      }
      if (Set.of("uri", "scheme", "method", "authority").contains(lower)) {
        v.warn("Istio ignores the header keys uri, scheme, method and authority; use the match field of that name", null);
        continue;
      }
      if (!CommonBinders.checkHeaderName(v, key)) {
        continue;
      }
      StringMatch sm = valueMatch(v);
      if (sm != null || isEmptyMap(v)) {
        out.put(lower, sm);
      }
    }
    return out;
  }

  private static RouteDestination bindRouteDestination(Cursor rd) {
    if (!rd.expectMap()) {
      return null;
    }
    rd.checkFields(ROUTE_DESTINATION, Map.of("subset", "subset goes inside destination: {host: ..., subset: ...}"));
    Cursor dc = rd.get("destination");
    Destination dest = null;
    if (!dc.present()) {
      rd.error("missing destination", "add destination: {host: <service>, subset: <name>}");
    } else {
      dest = CommonBinders.destination(dc);
    }
    Integer weight = rd.get("weight").integer(0, 100);
    Headers headers = CommonBinders.headers(rd.get("headers"));
    rd.get("headers").notEnforced(Enforcement.HEADERS);
    return dest == null ? null : new RouteDestination(dest, weight, headers);
  }

  private static HttpRedirect redirect(Cursor c) {
    if (!c.expectMap()) {
      return null;
    }
    c.checkFields(Set.of("uri", "authority", "port", "derivePort", "scheme", "redirectCode", "prefixRewrite"), null);
    String uri = c.get("uri").string();
    String authority = c.get("authority").string();
    Integer port = c.get("port").present() ? c.get("port").port() : null;
    String derive = c.get("derivePort").present() ? c.get("derivePort").enumValue(List.of("FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT")) : null;
    if (port != null && c.get("derivePort").present()) {
      c.error("give only one of port and derivePort", null);
    }
    String scheme = c.get("scheme").string();
    if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
      c.get("scheme").error("invalid redirect scheme " + Cursor.describe(scheme) + ", must be \"http\" or \"https\"", null);
    }
    Integer code = c.get("redirectCode").present() ? c.get("redirectCode").integer(300, 399) : null;
    String prefixRewrite = c.get("prefixRewrite").string();
    if (uri != null && prefixRewrite != null) {
      c.error("give only one of uri and prefixRewrite", null);
    }
    if (isBlank(uri) && isBlank(authority) && port == null && derive == null && isBlank(scheme) && isBlank(prefixRewrite)) {
      c.error("redirect must specify uri, authority, scheme, port or prefixRewrite", null);
    }
    return new HttpRedirect(uri, authority, port, derive, scheme, code == null ? 301 : code, prefixRewrite);
  }

  private static boolean isBlank(String s) {
    return s == null || s.isEmpty();
  }

  private static HttpDirectResponse directResponse(Cursor c) {
    if (!c.expectMap()) {
      return null;
    }
    c.checkFields(Set.of("status", "body"), null);
    Integer status = c.get("status").integer(200, 599);
    if (!c.get("status").present()) {
      c.error("missing directResponse.status", null);
    }
    String body = "";
    Cursor b = c.get("body");
    if (b.present() && b.expectMap()) {
      b.checkFields(Set.of("string", "bytes"), null);
      boolean s = b.get("string").present();
      boolean y = b.get("bytes").present();
      if (s && y) {
        b.error("give only one of string and bytes", null);
      } else if (s) {
        body = b.get("string").string();
      } else if (y) {
        String enc = b.get("bytes").string();
        if (enc != null) {
          try {
            body = new String(Base64.getDecoder().decode(enc.trim()), StandardCharsets.UTF_8);
          } catch (IllegalArgumentException e) {
            b.get("bytes").error("must be base64, " + e.getMessage(), null);
          }
        }
      }
      if (body != null && !body.isEmpty()) {
        b.notEnforced(Enforcement.DIRECT_RESPONSE_BODY);
      }
      if (body != null && body.length() > 1024 * 1024) {
        b.error("a direct response body must be less than 1MB (Istio)", null);
      } else if (body != null && body.length() > 100 * 1024) {
        b.warn("large direct responses may impact control plane performance (Istio)", null);
      }
    }
    return status == null ? null : new HttpDirectResponse(status, body == null ? "" : body);
  }

  private static io.inmesh.policy.model.ResourceRef delegate(Cursor c, String namespace) {
    if (!c.expectMap()) {
      return null;
    }
    c.checkFields(Set.of("name", "namespace"), null);
    String name = c.get("name").string();
    if (name == null || !DnsNames.isDns1123Subdomain(name)) {
      c.error("delegate needs the name of a VirtualService", null);
      return null;
    }
    String ns = c.get("namespace").string();
    if (ns != null && !DnsNames.isDns1123Label(ns)) {
      c.get("namespace").error("\"" + ns + "\" is not a valid namespace", null);
      return null;
    }
    return new io.inmesh.policy.model.ResourceRef("VirtualService", ns == null || ns.isEmpty() ? namespace : ns, name);
  }

  private static HttpRewrite rewrite(Cursor c) {
    if (!c.expectMap()) {
      return null;
    }
    c.checkFields(Set.of("uri", "authority", "uriRegexRewrite"), null);
    String uri = c.get("uri").string();
    String authority = c.get("authority").string();
    Cursor rr = c.get("uriRegexRewrite");
    com.google.re2j.Pattern match = null;
    String replacement = null;
    if (rr.present() && rr.expectMap()) {
      rr.checkFields(Set.of("match", "rewrite"), null);
      String m = rr.get("match").string();
      replacement = rr.get("rewrite").string();
      if (isBlank(m) || isBlank(replacement)) {
        rr.error("uriRegexRewrite needs both match and rewrite", null);
      } else {
        StringMatch sm = StringMatchBinder.regex(rr.get("match"), m);
        match = sm == null ? null : sm.regex();
      }
    }
    if (!isBlank(uri) && rr.present()) {
      c.error("give only one of uri and uriRegexRewrite", null);
    }
    if (isBlank(uri) && !rr.present() && isBlank(authority)) {
      c.error("rewrite must specify uri, uriRegexRewrite or authority", null);
    }
    return new HttpRewrite(isBlank(uri) ? null : uri, isBlank(authority) ? null : authority, match, match == null ? null : replacement);
  }

  private static HttpRetry retries(Cursor c) {
    if (!c.expectMap()) {
      return null;
    }
    c.checkFields(
        Set.of("attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities", "retryIgnorePreviousHosts", "backoff"),
        Map.of("retryRemoteLocality", "Istio calls this retryRemoteLocalities", "attempt", "Istio calls this attempts"));
    Integer attempts = c.get("attempts").integer(0, Integer.MAX_VALUE);
    int a = attempts == null ? 0 : attempts;
    Duration perTry = c.get("perTryTimeout").duration(false);
    String retryOn = c.get("retryOn").string();
    if (retryOn != null && !retryOn.isEmpty()) {
      for (String p : retryOn.split(",", -1)) {
        String t = p.trim();
        if (!RETRY_ON.contains(t) && !isStatusCode(t)) {
          c.get("retryOn")
              .error(
                  "\"" + t + "\" is not a valid retryOn policy",
                  "use Envoy's conditions (5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream,"
                      + " retriable-status-codes, ...) or HTTP status codes, comma-separated");
        }
      }
    }
    Boolean remote = c.get("retryRemoteLocalities").bool();
    Boolean ignorePrevious = c.get("retryIgnorePreviousHosts").bool();
    Duration backoff = c.get("backoff").duration(false);
    if (a == 0 && (perTry != null || (retryOn != null && !retryOn.isEmpty()) || remote != null)) {
      c.error(
          "retry policy configured while attempts is 0 (retries disabled)",
          "set attempts: N (the number of retries), or remove the other retry fields");
    }
    return new HttpRetry(a, perTry, retryOn == null || retryOn.isEmpty() ? HttpRetry.DEFAULT_RETRY_ON : retryOn, remote, ignorePrevious, backoff);
  }

  private static boolean isStatusCode(String s) {
    if (s.length() != 3) {
      return false;
    }
    for (int i = 0; i < 3; i++) {
      if (!Character.isDigit(s.charAt(i))) {
        return false;
      }
    }
    int v = Integer.parseInt(s);
    return v >= 100 && v <= 599;
  }

  private static HttpFault fault(Cursor c) {
    if (!c.expectMap()) {
      return null;
    }
    c.checkFields(Set.of("delay", "abort"), null);
    HttpFault.Delay delay = null;
    HttpFault.Abort abort = null;
    Cursor d = c.get("delay");
    Cursor a = c.get("abort");
    if (!d.present() && !a.present()) {
      c.error("a fault needs an abort and/or a delay", null);
    }
    if (d.present() && d.expectMap()) {
      d.checkFields(Set.of("fixedDelay", "exponentialDelay", "percentage", "percent"), null);
      if (d.get("exponentialDelay").present()) {
        d.get("exponentialDelay").error("exponentialDelay is not supported (Istio rejects it too)", "use fixedDelay");
      }
      Duration fixed = d.get("fixedDelay").duration(false);
      if (!d.get("fixedDelay").present()) {
        d.error("a delay needs fixedDelay", "e.g. fixedDelay: 5s");
      }
      double pct = faultPercent(d);
      if (fixed != null) {
        delay = new HttpFault.Delay(fixed, pct);
      }
    }
    if (a.present() && a.expectMap()) {
      a.checkFields(Set.of("httpStatus", "grpcStatus", "http2Error", "percentage"), Map.of("percent", "Istio calls this percentage: {value: N}"));
      Integer status = a.get("httpStatus").present() ? a.get("httpStatus").integer(200, 599) : null;
      String grpc = a.get("grpcStatus").string();
      if (grpc != null && !GRPC_STATUS.contains(grpc)) {
        a.get("grpcStatus").error("gRPC status \"" + grpc + "\" is not supported", "use a name such as UNAVAILABLE or NOT_FOUND");
      }
      if (a.get("http2Error").present()) {
        a.get("http2Error").error("HTTP/2 abort fault injection is not supported (Istio rejects it too)", null);
      }
      int kinds = (a.get("httpStatus").present() ? 1 : 0) + (a.get("grpcStatus").present() ? 1 : 0);
      if (kinds > 1) {
        a.error("give only one of httpStatus and grpcStatus", null);
      } else if (kinds == 0 && !a.get("http2Error").present()) {
        a.warn("abort configured, but no httpStatus or grpcStatus: nothing is aborted", null);
      }
      Double pct = CommonBinders.percent(a.get("percentage"));
      if (!a.get("percentage").present()) {
        a.warn("no percentage: no request will be aborted (Istio)", "add percentage: {value: 100} to abort every request");
      }
      if (status != null || grpc != null) {
        abort = new HttpFault.Abort(status, grpc, pct == null ? 0 : pct);
      }
    }
    return new HttpFault(delay, abort);
  }

  private static double faultPercent(Cursor d) {
    Double pct = CommonBinders.percent(d.get("percentage"));
    if (pct == null && d.get("percent").present()) {
      Integer p = d.get("percent").integer(0, 100);
      d.get("percent").warn("percent is deprecated; use percentage: {value: N}", null);
      return p == null ? 0 : p;
    }
    if (!d.get("percentage").present() && !d.get("percent").present()) {
      d.warn("no percentage: no request will be delayed (Istio)", "add percentage: {value: 100} to delay every request");
    }
    return pct == null ? 0 : pct;
  }

  private static List<HttpMirror> mirrors(Cursor h) {
    List<HttpMirror> out = new ArrayList<>();
    Cursor m = h.get("mirror");
    Cursor ms = h.get("mirrors");
    if (m.present() && ms.present()) {
      h.error("give only one of mirror and mirrors", null);
    }
    if (m.present()) {
      Destination d = CommonBinders.destination(m);
      Double pct = CommonBinders.percent(h.get("mirrorPercentage"));
      if (pct == null && h.get("mirrorPercent").present()) {
        Integer p = h.get("mirrorPercent").integer(0, 100);
        h.get("mirrorPercent").warn("mirrorPercent is deprecated; use mirrorPercentage: {value: N}", null);
        pct = p == null ? null : p.doubleValue();
      }
      if (d != null) {
        out.add(new HttpMirror(d, pct == null ? 100 : pct));
      }
      m.notEnforced(Enforcement.MIRROR);
    } else if (h.get("mirrorPercentage").present() || h.get("mirrorPercent").present()) {
      h.warn("mirrorPercentage without mirror has no effect", null);
    }
    for (Cursor item : ms.items()) {
      if (!item.expectMap()) {
        continue;
      }
      item.checkFields(Set.of("destination", "percentage"), null);
      if (!item.get("destination").present()) {
        item.error("missing destination", null);
        continue;
      }
      Destination d = CommonBinders.destination(item.get("destination"));
      Double pct = CommonBinders.percent(item.get("percentage"));
      if (d != null) {
        out.add(new HttpMirror(d, pct == null ? 100 : pct));
      }
    }
    ms.notEnforced(Enforcement.MIRROR);
    return List.copyOf(out);
  }

  /**
   * Istio: the first matching rule wins, so rules after a catch-all are never used (as Istio's
   * validation warns: "only the last rule can have no matches").
   */
  private static void checkUnreachable(List<Cursor> cursors, List<HttpRoute> http) {
    if (http.size() != cursors.size()) {
      return; // some rules did not bind; their errors say enough
    }
    for (int i = 0; i < http.size() - 1; i++) {
      if (catchesAll(http.get(i))) {
        cursors.get(i + 1)
            .warn(
                "unreachable: http[" + i + "] " + (http.get(i).match().isEmpty() ? "has no match" : "matches every request")
                    + " and catches every request first (the first matching rule wins)",
                "move the catch-all rule last");
        return;
      }
    }
  }

  private static boolean catchesAll(HttpRoute r) {
    if (r.delegate() != null) {
      return false; // a delegate's own rules may not match everything
    }
    if (r.match().isEmpty()) {
      return true;
    }
    for (HttpMatch m : r.match()) {
      boolean uriAll = m.uri() == null || (m.uri().kind() == StringMatch.Kind.PREFIX && m.uri().value().equals("/"));
      boolean rest =
          m.scheme() == null
              && m.method() == null
              && m.authority() == null
              && m.headers().isEmpty()
              && m.queryParams().isEmpty()
              && m.withoutHeaders().isEmpty()
              && m.port() == 0;
      boolean selectsAll = m.sourceLabels().isEmpty() && m.sourceNamespace() == null && m.gateways().isEmpty();
      if (uriAll && rest && selectsAll) {
        return true;
      }
    }
    return false;
  }
}
