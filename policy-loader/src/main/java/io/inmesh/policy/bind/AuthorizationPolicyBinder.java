package io.inmesh.policy.bind;

import io.inmesh.policy.Enforcement;
import io.inmesh.policy.authz.PathTemplates;
import io.inmesh.policy.model.AuthorizationPolicy;
import io.inmesh.policy.model.ResourceRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Binds and checks an AuthorizationPolicy spec
 * (https://istio.io/latest/docs/reference/config/security/authorization-policy/), with Istio's
 * validation rules (no empty from/to/source/operation, at least one of values/notValues, known
 * condition keys, valid IPs, ports and path templates, DENY needs rules).
 */
final class AuthorizationPolicyBinder {

  private static final Set<String> SPEC = Set.of("selector", "targetRef", "targetRefs", "rules", "action", "provider");
  private static final Set<String> SOURCE =
      Set.of(
          "principals",
          "notPrincipals",
          "requestPrincipals",
          "notRequestPrincipals",
          "namespaces",
          "notNamespaces",
          "serviceAccounts",
          "notServiceAccounts",
          "ipBlocks",
          "notIpBlocks",
          "remoteIpBlocks",
          "notRemoteIpBlocks",
          "trustDomains",
          "notTrustDomains");
  private static final Set<String> OPERATION =
      Set.of("hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths");
  private static final Set<String> PLAIN_KEYS =
      Set.of(
          "source.ip",
          "remote.ip",
          "source.namespace",
          "source.principal",
          "source.serviceAccount",
          "source.trustDomain",
          "request.auth.principal",
          "request.auth.audiences",
          "request.auth.presenter",
          "destination.ip",
          "destination.port",
          "connection.sni");

  private AuthorizationPolicyBinder() {}

  static AuthorizationPolicy bind(ResourceRef ref, String file, Cursor root, Cursor spec) {
    spec.checkFields(SPEC, Map.of("rule", "Istio calls this rules"));
    Map<String, String> selector = CommonBinders.selector(spec.get("selector"), "selector");
    boolean targeted = spec.get("targetRef").present() || spec.get("targetRefs").present();
    if (targeted) {
      if (selector != null) {
        spec.error("only one of targetRefs or selector can be set", null);
      }
      spec.get("targetRefs").items();
      (spec.get("targetRefs").present() ? spec.get("targetRefs") : spec.get("targetRef"))
          .warn(
              "targetRefs attach this policy to gateways, waypoints or ServiceEntries, never to sidecars: it does not"
                  + " apply to inmesh workloads",
              "use selector: {matchLabels: {...}} for workloads");
    }
    AuthorizationPolicy.Action action = AuthorizationPolicy.Action.ALLOW;
    if (spec.get("action").present()) {
      String a = spec.get("action").enumValue(List.of("ALLOW", "DENY", "AUDIT", "CUSTOM"));
      action = a == null ? action : AuthorizationPolicy.Action.valueOf(a);
    }
    String provider = null;
    Cursor pc = spec.get("provider");
    if (pc.present() && pc.expectMap()) {
      pc.checkFields(Set.of("name"), null);
      provider = pc.get("name").nonEmptyString("provider.name");
      if (action != AuthorizationPolicy.Action.CUSTOM) {
        pc.error("provider must only be used with action CUSTOM, found " + action, null);
      }
    }
    if (action == AuthorizationPolicy.Action.CUSTOM) {
      if (provider == null && !pc.present()) {
        spec.error("action CUSTOM needs provider: {name: ...}", null);
      }
      spec.get("action").notEnforced(Enforcement.CUSTOM_AUTHORIZATION);
    }
    List<AuthorizationPolicy.Rule> rules = null;
    Cursor rc = spec.get("rules");
    if (rc.present()) {
      rules = new ArrayList<>();
      List<Cursor> items = rc.items();
      for (int i = 0; i < items.size(); i++) {
        AuthorizationPolicy.Rule r = rule(items.get(i), action);
        if (r != null) {
          rules.add(r);
        }
      }
      rules = List.copyOf(rules);
    }
    if (action == AuthorizationPolicy.Action.DENY && rules == null) {
      spec.error(
          "DENY action without rules is meaningless as it will never be triggered",
          "add an empty rule {} (rules: [{}]) to deny every request");
    }
    if (action == AuthorizationPolicy.Action.ALLOW && (rules == null || rules.isEmpty()) && !targeted) {
      (rc.present() ? rc : spec)
          .warn(
              "an ALLOW policy with no rules matches nothing: unless another ALLOW policy allows them, every request to"
                  + (selector == null ? " the workloads of namespace " + ref.namespace() : " the selected workloads")
                  + " is denied (Istio's allow-nothing policy)",
              "to allow everything, write rules: [{}]");
    }
    Object dry = root.get("metadata").get("annotations").get("istio.io/dry-run").raw();
    boolean dryRun = "true".equals(dry) || Boolean.TRUE.equals(dry);
    if (!targeted) {
      spec.notEnforced(Enforcement.AUTHORIZATION);
    }
    return new AuthorizationPolicy(ref, file, selector, action, provider, rules, dryRun, targeted);
  }

  private static AuthorizationPolicy.Rule rule(Cursor r, AuthorizationPolicy.Action action) {
    if (!r.present()) {
      r.error("a rule must not be null", "write {} for a rule that matches everything");
      return null;
    }
    if (!r.expectMap()) {
      return null;
    }
    r.checkFields(Set.of("from", "to", "when"), Map.of("source", "write from: [{source: {...}}]", "operation", "write to: [{operation: {...}}]"));
    List<AuthorizationPolicy.Source> from = new ArrayList<>();
    Cursor fc = r.get("from");
    if (fc.present() && fc.isList() && fc.items().isEmpty()) {
      fc.error("from must not be empty", "leave from out to match any source");
    }
    for (Cursor f : fc.items()) {
      if (!f.expectMap()) {
        continue;
      }
      f.checkFields(Set.of("source"), null);
      Cursor s = f.get("source");
      if (!s.present()) {
        f.error("from.source must not be empty", null);
        continue;
      }
      AuthorizationPolicy.Source src = source(s, action);
      if (src != null) {
        from.add(src);
      }
    }
    List<AuthorizationPolicy.Operation> to = new ArrayList<>();
    Cursor tc = r.get("to");
    if (tc.present() && tc.isList() && tc.items().isEmpty()) {
      tc.error("to must not be empty", "leave to out to match any operation");
    }
    for (Cursor t : tc.items()) {
      if (!t.expectMap()) {
        continue;
      }
      t.checkFields(Set.of("operation"), null);
      Cursor o = t.get("operation");
      if (!o.present()) {
        t.error("to.operation must not be empty", null);
        continue;
      }
      AuthorizationPolicy.Operation op = operation(o);
      if (op != null) {
        to.add(op);
      }
    }
    List<AuthorizationPolicy.Condition> when = new ArrayList<>();
    for (Cursor w : r.get("when").items()) {
      AuthorizationPolicy.Condition c = condition(w, action);
      if (c != null) {
        when.add(c);
      }
    }
    return new AuthorizationPolicy.Rule(List.copyOf(from), List.copyOf(to), List.copyOf(when));
  }

  private static AuthorizationPolicy.Source source(Cursor s, AuthorizationPolicy.Action action) {
    if (!s.expectMap()) {
      return null;
    }
    s.checkFields(SOURCE, Map.of("principal", "Istio calls this principals (a list)", "namespace", "Istio calls this namespaces (a list)"));
    boolean any = false;
    for (String f : SOURCE) {
      any |= s.get(f).present();
    }
    if (!any) {
      s.error("from.source must not be empty", null);
    }
    List<String> principals = values(s.get("principals"));
    List<String> notPrincipals = values(s.get("notPrincipals"));
    List<String> requestPrincipals = values(s.get("requestPrincipals"));
    List<String> notRequestPrincipals = values(s.get("notRequestPrincipals"));
    List<String> namespaces = values(s.get("namespaces"));
    List<String> notNamespaces = values(s.get("notNamespaces"));
    List<String> serviceAccounts = serviceAccounts(s.get("serviceAccounts"));
    List<String> notServiceAccounts = serviceAccounts(s.get("notServiceAccounts"));
    List<String> ipBlocks = ipBlocks(s.get("ipBlocks"));
    List<String> notIpBlocks = ipBlocks(s.get("notIpBlocks"));
    List<String> remote = ipBlocks(s.get("remoteIpBlocks"));
    List<String> notRemote = ipBlocks(s.get("notRemoteIpBlocks"));
    if ((!serviceAccounts.isEmpty() || !notServiceAccounts.isEmpty())
        && (!principals.isEmpty() || !notPrincipals.isEmpty() || !namespaces.isEmpty() || !notNamespaces.isEmpty())) {
      s.error("cannot set serviceAccounts with namespaces or principals", null);
    }
    if (action == AuthorizationPolicy.Action.CUSTOM) {
      for (String f : new String[] {"principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts"}) {
        if (s.get(f).present()) {
          s.get(f).error(f + " is currently not supported with CUSTOM action", null);
        }
      }
    }
    s.get("requestPrincipals").notEnforced(Enforcement.REQUEST_AUTHENTICATION);
    s.get("notRequestPrincipals").notEnforced(Enforcement.REQUEST_AUTHENTICATION);
    return new AuthorizationPolicy.Source(
        principals,
        notPrincipals,
        requestPrincipals,
        notRequestPrincipals,
        namespaces,
        notNamespaces,
        serviceAccounts,
        notServiceAccounts,
        ipBlocks,
        notIpBlocks,
        remote,
        notRemote,
        values(s.get("trustDomains")),
        values(s.get("notTrustDomains")));
  }

  private static AuthorizationPolicy.Operation operation(Cursor o) {
    if (!o.expectMap()) {
      return null;
    }
    o.checkFields(OPERATION, Map.of("method", "Istio calls this methods (a list)", "path", "Istio calls this paths (a list)"));
    boolean any = false;
    for (String f : OPERATION) {
      any |= o.get(f).present();
    }
    if (!any) {
      o.error("to.operation must not be empty", null);
    }
    List<String> ports = ports(o.get("ports"));
    List<String> notPorts = ports(o.get("notPorts"));
    List<String> paths = paths(o.get("paths"));
    List<String> notPaths = paths(o.get("notPaths"));
    return new AuthorizationPolicy.Operation(
        values(o.get("hosts")), values(o.get("notHosts")), ports, notPorts, values(o.get("methods")), values(o.get("notMethods")), paths, notPaths);
  }

  private static AuthorizationPolicy.Condition condition(Cursor w, AuthorizationPolicy.Action action) {
    if (!w.expectMap()) {
      return null;
    }
    w.checkFields(Set.of("key", "values", "notValues"), Map.of("value", "Istio calls this values (a list)"));
    String key = w.get("key").string();
    if (key == null) {
      if (!w.get("key").present()) {
        w.error("missing key", "e.g. key: request.headers[x-token]");
      }
      return null;
    }
    if (key.isEmpty()) {
      w.get("key").error("key must not be empty", null);
      return null;
    }
    List<String> values = values(w.get("values"));
    List<String> notValues = values(w.get("notValues"));
    if (values.isEmpty() && notValues.isEmpty() && !w.get("values").present() && !w.get("notValues").present()) {
      w.error("at least one of values or notValues must be set for key " + key, null);
    }
    if (!knownKey(key)) {
      w.get("key")
          .error(
              "unknown attribute \"" + key + "\"",
              "see https://istio.io/latest/docs/reference/config/security/conditions/ (e.g. request.headers[name],"
                  + " source.ip, source.namespace, source.principal, destination.port)");
      return null;
    }
    if (key.startsWith("experimental.envoy.filters.")) {
      w.get("key").warn("parsed but not enforced: inmesh has no Envoy filter metadata; this condition never matches", null);
    }
    if (key.startsWith("request.auth.") && !Enforcement.REQUEST_AUTHENTICATION.enforced()) {
      w.get("key").warn("condition on " + key + " " + Enforcement.REQUEST_AUTHENTICATION.notEnforcedMessage(), null);
    }
    if (action == AuthorizationPolicy.Action.CUSTOM
        && (key.equals("source.namespace") || key.equals("source.principal") || key.equals("source.serviceAccount") || key.startsWith("request.auth."))) {
      w.get("key").error(key + " is currently not supported with CUSTOM action", null);
    }
    switch (key) {
      case "source.ip", "remote.ip", "destination.ip" -> {
        checkIps(w.get("values"), values);
        checkIps(w.get("notValues"), notValues);
      }
      case "destination.port" -> {
        checkPorts(w.get("values"), values);
        checkPorts(w.get("notValues"), notValues);
      }
      default -> {}
    }
    return new AuthorizationPolicy.Condition(key, values, notValues);
  }

  static boolean knownKey(String key) {
    if (PLAIN_KEYS.contains(key) || key.startsWith("experimental.envoy.filters.")) {
      return true;
    }
    if (key.startsWith("request.headers[") && key.endsWith("]")) {
      return key.length() > "request.headers[]".length();
    }
    if (key.startsWith("request.auth.claims[") && key.endsWith("]")) {
      String inner = key.substring("request.auth.claims".length());
      // [a] or nested [a][b]
      return inner.matches("(\\[[^\\[\\]]+\\])+");
    }
    return false;
  }

  /** A list of non-empty strings (Istio: "empty value not allowed"). */
  private static List<String> values(Cursor c) {
    List<String> out = new ArrayList<>();
    for (Cursor i : valueCursors(c)) {
      out.add((String) i.raw());
    }
    return List.copyOf(out);
  }

  private static List<Cursor> valueCursors(Cursor c) {
    List<Cursor> out = new ArrayList<>();
    for (Cursor i : c.items()) {
      String s = i.string();
      if (s == null) {
        continue;
      }
      if (s.isEmpty()) {
        i.error("empty value not allowed", null);
        continue;
      }
      out.add(i);
    }
    return out;
  }

  private static List<String> serviceAccounts(Cursor c) {
    List<String> out = new ArrayList<>();
    for (Cursor i : valueCursors(c)) {
      String s = (String) i.raw();
      if (s.contains("*")) {
        i.error("no form of wildcard (*) is allowed in serviceAccounts", null);
      } else if (s.chars().filter(ch -> ch == '/').count() > 1) {
        i.error("a service account is <namespace>/<name> or <name>", null);
      } else {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  private static List<String> ipBlocks(Cursor c) {
    List<String> out = values(c);
    checkIps(c, out);
    return out;
  }

  private static void checkIps(Cursor c, List<String> values) {
    for (String v : values) {
      if (!DnsNames.isIpOrCidr(v)) {
        c.error("\"" + v + "\" is not an IP address or CIDR block", null);
      }
    }
  }

  private static List<String> ports(Cursor c) {
    List<String> out = values(c);
    checkPorts(c, out);
    return out;
  }

  private static void checkPorts(Cursor c, List<String> values) {
    for (String v : values) {
      boolean ok = !v.isEmpty() && v.length() <= 5 && v.chars().allMatch(Character::isDigit);
      if (!ok || Integer.parseInt(v) < 1 || Integer.parseInt(v) > 65535) {
        c.error("\"" + v + "\" is not a port 1..65535", "ports are strings in AuthorizationPolicy: ports: [\"8080\"]");
      }
    }
  }

  private static List<String> paths(Cursor c) {
    List<String> out = new ArrayList<>();
    for (Cursor i : valueCursors(c)) {
      String s = (String) i.raw();
      String problem = PathTemplates.problem(s);
      if (problem != null) {
        i.error("invalid path template " + Cursor.describe(s) + ": " + problem, null);
      } else {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }
}
