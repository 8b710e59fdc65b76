package io.inmesh.policy.bind;

import io.inmesh.policy.model.Destination;
import io.inmesh.policy.model.HeaderOperations;
import io.inmesh.policy.model.Headers;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Pieces several resources share: exportTo, selectors, destinations, header operations, percentages. */
final class CommonBinders {
  private CommonBinders() {}

  /**
   * {@code exportTo}: namespaces, {@code "."} (this namespace), {@code "*"} (all) or {@code "~"}
   * (none). Empty: exported everywhere.
   */
  static List<String> exportTo(Cursor c) {
    if (!c.present()) {
      return List.of();
    }
    List<Cursor> items = c.items();
    List<String> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Cursor i : items) {
      String s = i.string();
      if (s == null) {
        continue;
      }
      if (!s.equals(".") && !s.equals("*") && !s.equals("~") && !DnsNames.isDns1123Label(s)) {
        i.error("\"" + s + "\" is not a namespace, \".\", \"*\" or \"~\"", null);
        continue;
      }
      if (!seen.add(s)) {
        i.error("duplicate entry \"" + s + "\"", null);
        continue;
      }
      out.add(s);
    }
    if (out.size() > 1 && (out.contains("*") || out.contains("~"))) {
      c.error("\"*\" and \"~\" cannot be combined with other entries", null);
    }
    return List.copyOf(out);
  }

  /** A WorkloadSelector ({@code matchLabels}); null when absent. */
  static Map<String, String> selector(Cursor c, String field) {
    if (!c.present()) {
      return null;
    }
    if (!c.expectMap()) {
      return null;
    }
    c.checkFields(Set.of("matchLabels"), null);
    Map<String, String> labels = c.get("matchLabels").stringMap();
    for (Map.Entry<String, String> e : labels.entrySet()) {
      if (e.getKey().isEmpty()) {
        c.get("matchLabels").error("a label name must not be empty", null);
      }
    }
    if (labels.isEmpty()) {
      c.warn(field + " has no matchLabels: it selects every workload of the namespace", null);
    }
    return labels;
  }

  static Destination destination(Cursor dc) {
    if (!dc.expectMap()) {
      return null;
    }
    dc.checkFields(Set.of("host", "subset", "port"), null);
    String host = dc.get("host").string();
    boolean ok = true;
    if (host == null) {
      if (!dc.get("host").present()) {
        dc.error("missing destination.host", "name the service, e.g. host: usuario-service");
      }
      ok = false;
    } else if (host.equals("*") || !(DnsNames.isHost(host) || DnsNames.isIp(host))) {
      dc.get("host").error("\"" + host + "\" is not a valid destination host", null);
      ok = false;
    }
    String subset = dc.get("subset").string();
    if (subset != null && !DnsNames.isDns1123Label(subset)) {
      dc.get("subset").error("\"" + subset + "\" is not a valid subset name", "use lower-case letters, digits and '-'");
      ok = false;
    }
    Integer port = null;
    Cursor pc = dc.get("port");
    if (pc.present() && pc.expectMap()) {
      pc.checkFields(Set.of("number"), Map.of("name", "Istio selects destination ports by number only"));
      port = pc.get("number").port();
    }
    return ok ? new Destination(host, subset == null || subset.isEmpty() ? null : subset, port) : null;
  }

  static Headers headers(Cursor c) {
    if (!c.present() || !c.expectMap()) {
      return Headers.NONE;
    }
    c.checkFields(Set.of("request", "response"), null);
    return new Headers(operations(c.get("request"), true), operations(c.get("response"), false));
  }

  /**
   * Request headers the JDK's {@code java.net.http} client refuses from applications (its
   * {@code jdk.httpclient.allowRestrictedHeaders} list; the same on Java 17 and 25). The agent skips
   * a route's set/add of one of them on calls made with that client (HttpURLConnection applies
   * it), so validation says so where the operation is written.
   */
  static final Set<String> JDK_HTTP_CLIENT_RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

  private static HeaderOperations operations(Cursor c, boolean request) {
    if (!c.present() || !c.expectMap()) {
      return HeaderOperations.NONE;
    }
    c.checkFields(Set.of("set", "add", "remove"), null);
    Map<String, String> set = headerMap(c.get("set"));
    Map<String, String> add = headerMap(c.get("add"));
    if (request) {
      for (String op : List.of("set", "add")) {
        for (Map.Entry<String, Cursor> e : c.get(op).entries().entrySet()) {
          String name = e.getKey();
          String lower = name.toLowerCase(java.util.Locale.ROOT);
          if (JDK_HTTP_CLIENT_RESTRICTED.contains(lower) || name.startsWith(":")) {
            e.getValue().warn(
                "the JDK HttpClient (java.net.http) does not let a request carry a \"" + name + "\" header set this way: calls made"
                    + " with it skip this operation (HttpURLConnection applies it)",
                lower.equals("host") || lower.equals(":authority") ? "to change the authority, use rewrite.authority" : null);
          }
        }
      }
    }
    List<String> remove = new ArrayList<>();
    for (Cursor i : c.get("remove").items()) {
      String s = i.string();
      if (s != null && checkHeaderName(i, s)) {
        remove.add(s);
      }
    }
    return new HeaderOperations(set, add, List.copyOf(remove));
  }

  private static Map<String, String> headerMap(Cursor c) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Cursor> e : c.entries().entrySet()) {
      String v = e.getValue().string();
      if (v != null && checkHeaderName(e.getValue(), e.getKey())) {
        out.put(e.getKey(), v);
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** RFC 7230 token characters (pseudo-headers such as :authority allowed). */
  static boolean checkHeaderName(Cursor at, String name) {
    String n = name.startsWith(":") ? name.substring(1) : name;
    boolean ok = !n.isEmpty();
    for (int i = 0; ok && i < n.length(); i++) {
      char ch = n.charAt(i);
      ok = ch > 32 && ch < 127 && "\"(),/:;<=>?@[\\]{}".indexOf(ch) < 0;
    }
    if (!ok) {
      at.error("\"" + name + "\" is not a valid header name", null);
    }
    return ok;
  }

  /** Istio Percent: {@code {value: 0..100}}; null when absent. */
  static Double percent(Cursor c) {
    if (!c.present() || !c.expectMap()) {
      return null;
    }
    c.checkFields(Set.of("value"), null);
    Cursor v = c.get("value");
    if (!v.present()) {
      return 0.0; // protobuf: an empty Percent is 0
    }
    return v.number(0, 100);
  }
}
