package io.inmesh.policy.authz;

import com.google.re2j.Pattern;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.model.AuthorizationPolicy;
import io.inmesh.policy.model.PolicyResource;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Istio's AuthorizationPolicy semantics for one workload, compiled once per snapshot
 * (https://istio.io/latest/docs/reference/config/security/authorization-policy/):
 *
 * <ol>
 *   <li>CUSTOM policies would be asked first; inmesh has no external providers, so they never
 *       decide (reported as not enforced);
 *   <li>if any DENY policy matches, deny;
 *   <li>if no ALLOW policy applies to the workload, allow;
 *   <li>if any ALLOW policy matches, allow;
 *   <li>deny.
 * </ol>
 *
 * AUDIT policies only mark the decision; {@code istio.io/dry-run} policies are evaluated and never
 * decide. A policy with no {@code rules} matches nothing (so {@code spec: {}} is "allow nothing"),
 * {@code rules: [{}]} matches everything. A rule matches when one of its sources, one of its
 * operations and all of its conditions match; the fields of a source or an operation are AND'd,
 * the values of a field OR'd, and {@code not*} fields must match none of their values. Values
 * match exactly, by prefix ({@code abc*}), by suffix ({@code *abc}) or by presence ({@code *},
 * non-empty); paths also as templates ({@code {*}}, {@code {**}}); hosts ignore case.
 */
public final class AuthorizationEvaluator {

  /** No policy applies: everything is allowed. */
  public static final AuthorizationEvaluator NONE = new AuthorizationEvaluator(List.of(), List.of(), List.of(), List.of(), List.of());

  private final Compiled[] deny;
  private final Compiled[] allow;
  private final Compiled[] audit;
  private final List<String> custom;
  private final Compiled[] customs;
  private final List<String> applying;

  private AuthorizationEvaluator(
      List<Compiled> deny, List<Compiled> allow, List<Compiled> audit, List<Compiled> custom, List<String> applying) {
    this.customs = custom.toArray(new Compiled[0]);
    this.deny = deny.toArray(new Compiled[0]);
    this.allow = allow.toArray(new Compiled[0]);
    this.audit = audit.toArray(new Compiled[0]);
    this.custom = custom.stream().map(c -> c.name).toList();
    this.applying = List.copyOf(applying);
  }

  /**
   * The policies that apply to {@code workload}: those in its namespace and those in the root
   * namespace, whose selector (if any) its labels satisfy. Policies attached with targetRefs apply
   * to gateways and waypoints, not to sidecars, so never here.
   */
  public static AuthorizationEvaluator forWorkload(
      List<? extends PolicyResource> resources, Workload workload, String rootNamespace) {
    List<Compiled> deny = new ArrayList<>();
    List<Compiled> allow = new ArrayList<>();
    List<Compiled> audit = new ArrayList<>();
    List<Compiled> custom = new ArrayList<>();
    List<String> applying = new ArrayList<>();
    for (PolicyResource r : resources) {
      if (!(r instanceof AuthorizationPolicy p) || !appliesTo(p, workload, rootNamespace)) {
        continue;
      }
      String name = p.namespace() + "/" + p.ref().name();
      applying.add(name + " (" + p.action() + (p.dryRun() ? ", dry-run" : "") + ")");
      if (p.dryRun()) {
        continue;
      }
      Compiled c = new Compiled(name, p);
      switch (p.action()) {
        case DENY -> deny.add(c);
        case ALLOW -> allow.add(c);
        case AUDIT -> audit.add(c);
        case CUSTOM -> custom.add(c);
      }
    }
    if (deny.isEmpty() && allow.isEmpty() && audit.isEmpty() && custom.isEmpty() && applying.isEmpty()) {
      return NONE;
    }
    return new AuthorizationEvaluator(deny, allow, audit, custom, applying);
  }

  static boolean appliesTo(AuthorizationPolicy p, Workload w, String rootNamespace) {
    if (p.targetRefs() || w == null) {
      return false;
    }
    if (!p.namespace().equals(w.namespace()) && !p.namespace().equals(rootNamespace)) {
      return false;
    }
    if (p.selector() == null) {
      return true;
    }
    Map<String, String> labels = w.labels() == null ? Map.of() : w.labels();
    for (Map.Entry<String, String> e : p.selector().entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** Whether any ALLOW, DENY, AUDIT or CUSTOM policy applies (else every request is allowed untouched). */
  public boolean active() {
    return deny.length + allow.length + audit.length + customs.length > 0;
  }

  /** {@code namespace/name (ACTION)} of every policy that applies, for the config dump. */
  public List<String> policies() {
    return applying;
  }

  /** CUSTOM policies that apply; a request one matches is denied (no external authorization in inmesh). */
  public List<String> ignoredCustomPolicies() {
    return custom;
  }

  /**
   * Istio's order: CUSTOM, then DENY, then ALLOW; AUDIT policies only mark. A CUSTOM policy that
   * matches denies: inmesh has no external authorization providers, and Istio denies when a
   * CUSTOM policy's provider is missing. A path containing {@code %00} is denied (Istio answers
   * 400 to it).
   */
  public AuthorizationDecision evaluate(AuthorizationRequest r) {
    Attributes a = new Attributes(r);
    String audited = null;
    for (Compiled c : audit) {
      int i = c.matchingRule(a);
      if (i >= 0) {
        audited = c.name + "[" + i + "]";
        break;
      }
    }
    if (a.path == null) {
      return new AuthorizationDecision(false, null, -1, "path with %00 refused", audited);
    }
    for (Compiled c : customs) {
      int i = c.matchingRule(a);
      if (i >= 0) {
        return new AuthorizationDecision(false, c.name, i, "denied by CUSTOM policy " + c.name + ": no external authorization provider in inmesh", audited);
      }
    }
    for (Compiled c : deny) {
      int i = c.matchingRule(a);
      if (i >= 0) {
        return new AuthorizationDecision(false, c.name, i, "denied by DENY policy " + c.name, audited);
      }
    }
    if (allow.length == 0) {
      return new AuthorizationDecision(true, null, -1, deny.length == 0 ? "no policy" : "no DENY policy matched, no ALLOW policy", audited);
    }
    for (Compiled c : allow) {
      int i = c.matchingRule(a);
      if (i >= 0) {
        return new AuthorizationDecision(true, c.name, i, "allowed by ALLOW policy " + c.name, audited);
      }
    }
    return new AuthorizationDecision(false, null, -1, "no ALLOW policy matched", audited);
  }

  // ---- compiled form ----------------------------------------------------------------------------

  /** The request's attributes, derived once (principal parts, path without query). */
  private static final class Attributes {
    final AuthorizationRequest r;
    final String principal;
    final String path;

    Attributes(AuthorizationRequest r) {
      this.r = r;
      String p = r.sourcePrincipal();
      if (p != null && p.startsWith("spiffe://")) {
        p = p.substring("spiffe://".length());
      }
      this.principal = p == null || p.isEmpty() ? null : p;
      String path = r.path() == null ? "/" : r.path();
      int q = path.indexOf('?');
      int h = path.indexOf('#');
      int end = q < 0 ? h : h < 0 ? q : Math.min(q, h);
      this.path = PathNormalizer.normalize(end < 0 ? path : path.substring(0, end));
    }

    private byte[] sourceIp;
    private boolean sourceIpParsed;
    private byte[] remoteIp;
    private boolean remoteIpParsed;

    /** The source address's bytes, parsed once per request (null when absent or not an IP). */
    byte[] sourceIpBytes() {
      if (!sourceIpParsed) {
        sourceIp = IpField.parse(r.sourceIp());
        sourceIpParsed = true;
      }
      return sourceIp;
    }

    byte[] remoteIpBytes() {
      if (!remoteIpParsed) {
        String remote = r.remoteIp();
        remoteIp = remote != null && remote.equals(r.sourceIp()) ? sourceIpBytes() : IpField.parse(remote);
        remoteIpParsed = true;
      }
      return remoteIp;
    }

    String namespace() {
      return segmentAfter(principal, "/ns/");
    }

    /** The part of the principal before {@code /ns/}: {@code cluster.local}. */
    String trustDomain() {
      if (principal == null) {
        return null;
      }
      int i = principal.indexOf("/ns/");
      return i < 0 ? null : principal.substring(0, i);
    }

    String serviceAccount() {
      String ns = namespace();
      String sa = segmentAfter(principal, "/sa/");
      return ns == null || sa == null ? null : ns + "/" + sa;
    }

    private static String segmentAfter(String s, String marker) {
      if (s == null) {
        return null;
      }
      int i = s.indexOf(marker);
      if (i < 0) {
        return null;
      }
      int start = i + marker.length();
      int end = s.indexOf('/', start);
      return end < 0 ? s.substring(start) : s.substring(start, end);
    }

    String attribute(String key) {
      if (key.startsWith("request.headers[")) {
        return r.header(key.substring("request.headers[".length(), key.length() - 1));
      }
      return switch (key) {
        case "source.ip" -> r.sourceIp();
        case "remote.ip" -> r.remoteIp();
        case "source.namespace" -> namespace();
        case "source.principal" -> principal;
        case "source.serviceAccount" -> serviceAccount();
        case "source.trustDomain" -> trustDomain();
        case "request.auth.principal" -> r.requestPrincipal();
        case "destination.ip" -> r.destinationIp();
        case "destination.port" -> String.valueOf(r.port());
        case "connection.sni" -> r.sni();
        default -> null; // request.auth.audiences/presenter/claims, experimental.*: not available
      };
    }
  }

  private static final class Compiled {
    final String name;
    /** Null: the policy has no rules and matches nothing. */
    final Rule[] rules;

    Compiled(String name, AuthorizationPolicy p) {
      this.name = name;
      if (p.rules() == null) {
        this.rules = null;
      } else {
        Rule[] rs = new Rule[p.rules().size()];
        for (int i = 0; i < rs.length; i++) {
          rs[i] = new Rule(p.rules().get(i), p.namespace());
        }
        this.rules = rs;
      }
    }

    /** The index of the first rule that matches, or -1. */
    int matchingRule(Attributes a) {
      if (rules == null) {
        return -1;
      }
      for (int i = 0; i < rules.length; i++) {
        if (rules[i].matches(a)) {
          return i;
        }
      }
      return -1;
    }
  }

  private static final class Rule {
    final Source[] from;
    final Operation[] to;
    final Condition[] when;

    Rule(AuthorizationPolicy.Rule r, String policyNamespace) {
      from = r.from().stream().map(s -> new Source(s, policyNamespace)).toArray(Source[]::new);
      to = r.to().stream().map(Operation::new).toArray(Operation[]::new);
      when = r.when().stream().map(Condition::new).toArray(Condition[]::new);
    }

    boolean matches(Attributes a) {
      if (from.length > 0) {
        boolean any = false;
        for (Source s : from) {
          if (s.matches(a)) {
            any = true;
            break;
          }
        }
        if (!any) {
          return false;
        }
      }
      if (to.length > 0) {
        boolean any = false;
        for (Operation o : to) {
          if (o.matches(a)) {
            any = true;
            break;
          }
        }
        if (!any) {
          return false;
        }
      }
      for (Condition c : when) {
        if (!c.matches(a)) {
          return false;
        }
      }
      return true;
    }
  }

  private static final class Source {
    final Field principals;
    final Field notPrincipals;
    final Field requestPrincipals;
    final Field notRequestPrincipals;
    final Field namespaces;
    final Field notNamespaces;
    final Field serviceAccounts;
    final Field notServiceAccounts;
    final IpField ipBlocks;
    final IpField notIpBlocks;
    final IpField remoteIpBlocks;
    final IpField notRemoteIpBlocks;
    final Field trustDomains;
    final Field notTrustDomains;

    Source(AuthorizationPolicy.Source s, String policyNamespace) {
      principals = Field.of(s.principals(), false);
      notPrincipals = Field.of(s.notPrincipals(), false);
      requestPrincipals = Field.of(s.requestPrincipals(), false);
      notRequestPrincipals = Field.of(s.notRequestPrincipals(), false);
      namespaces = Field.of(s.namespaces(), false);
      notNamespaces = Field.of(s.notNamespaces(), false);
      serviceAccounts = Field.of(qualify(s.serviceAccounts(), policyNamespace), false);
      notServiceAccounts = Field.of(qualify(s.notServiceAccounts(), policyNamespace), false);
      ipBlocks = IpField.of(s.ipBlocks());
      notIpBlocks = IpField.of(s.notIpBlocks());
      remoteIpBlocks = IpField.of(s.remoteIpBlocks());
      notRemoteIpBlocks = IpField.of(s.notRemoteIpBlocks());
      trustDomains = Field.of(s.trustDomains(), false);
      notTrustDomains = Field.of(s.notTrustDomains(), false);
    }

    /** {@code sa} means {@code <policy namespace>/sa}. */
    private static List<String> qualify(List<String> sas, String ns) {
      return sas.stream().map(s -> s.indexOf('/') < 0 ? ns + "/" + s : s).toList();
    }

    boolean matches(Attributes a) {
      String ns = null;
      boolean nsKnown = false;
      if (namespaces != null || notNamespaces != null) {
        ns = a.namespace();
        nsKnown = true;
      }
      return Field.pos(principals, a.principal)
          && Field.neg(notPrincipals, a.principal)
          && Field.pos(requestPrincipals, a.r.requestPrincipal())
          && Field.neg(notRequestPrincipals, a.r.requestPrincipal())
          && (!nsKnown || (Field.pos(namespaces, ns) && Field.neg(notNamespaces, ns)))
          && (serviceAccounts == null && notServiceAccounts == null
              || Field.pos(serviceAccounts, a.serviceAccount()) && Field.neg(notServiceAccounts, a.serviceAccount()))
          && (ipBlocks == null || ipBlocks.contains(a.sourceIpBytes()))
          && (notIpBlocks == null || !notIpBlocks.contains(a.sourceIpBytes()))
          && (remoteIpBlocks == null || remoteIpBlocks.contains(a.remoteIpBytes()))
          && (notRemoteIpBlocks == null || !notRemoteIpBlocks.contains(a.remoteIpBytes()))
          && (trustDomains == null && notTrustDomains == null
              || Field.pos(trustDomains, a.trustDomain()) && Field.neg(notTrustDomains, a.trustDomain()));
    }
  }

  private static final class Operation {
    final Field hosts;
    final Field notHosts;
    final Field ports;
    final Field notPorts;
    final Field methods;
    final Field notMethods;
    final Field paths;
    final Field notPaths;

    Operation(AuthorizationPolicy.Operation o) {
      hosts = Field.of(o.hosts(), true);
      notHosts = Field.of(o.notHosts(), true);
      ports = Field.of(o.ports(), false);
      notPorts = Field.of(o.notPorts(), false);
      methods = Field.of(o.methods(), false);
      notMethods = Field.of(o.notMethods(), false);
      paths = Field.paths(o.paths());
      notPaths = Field.paths(o.notPaths());
    }

    boolean matches(Attributes a) {
      String port = ports == null && notPorts == null ? null : String.valueOf(a.r.port());
      return hostMatches(a.r.host())
          && Field.pos(ports, port)
          && Field.neg(notPorts, port)
          && Field.pos(methods, a.r.method())
          && Field.neg(notMethods, a.r.method())
          && Field.pos(paths, a.path)
          && Field.neg(notPaths, a.path);
    }

    /** Istio matches hosts case-insensitively, with or without the port of the Host header. */
    private boolean hostMatches(String host) {
      if (hosts == null && notHosts == null) {
        return true;
      }
      String bare = host;
      if (host != null) {
        int colon = host.lastIndexOf(':');
        if (colon > 0 && host.indexOf(']') < colon && host.indexOf(':') == colon) {
          bare = host.substring(0, colon);
        }
      }
      boolean pos = hosts == null || hosts.matchesAny(host) || hosts.matchesAny(bare);
      boolean neg = notHosts == null || !(notHosts.matchesAny(host) || notHosts.matchesAny(bare));
      return pos && neg;
    }
  }

  private static final class Condition {
    final String key;
    final Field values;
    final Field notValues;
    final IpField ipValues;
    final IpField notIpValues;

    Condition(AuthorizationPolicy.Condition c) {
      key = c.key();
      boolean ip = key.equals("source.ip") || key.equals("remote.ip") || key.equals("destination.ip");
      values = ip ? null : Field.of(c.values(), false);
      notValues = ip ? null : Field.of(c.notValues(), false);
      ipValues = ip ? IpField.of(c.values()) : null;
      notIpValues = ip ? IpField.of(c.notValues()) : null;
    }

    boolean matches(Attributes a) {
      String v = a.attribute(key);
      if (ipValues != null || notIpValues != null) {
        return IpField.pos(ipValues, v) && IpField.neg(notIpValues, v);
      }
      return Field.pos(values, v) && Field.neg(notValues, v);
    }
  }

  /** One list of values: exact, prefix*, *suffix, * (presence), or a path template. */
  private static final class Field {
    final String[] exact;
    final String[] prefix;
    final String[] suffix;
    final boolean presence;
    final Pattern[] templates;
    final boolean ignoreCase;

    private Field(List<String> values, boolean ignoreCase, boolean pathTemplates) {
      List<String> ex = new ArrayList<>();
      List<String> pre = new ArrayList<>();
      List<String> suf = new ArrayList<>();
      List<Pattern> tpl = new ArrayList<>();
      boolean pres = false;
      for (String v0 : values) {
        String v = ignoreCase ? v0.toLowerCase(Locale.ROOT) : v0;
        if (pathTemplates && PathTemplates.isTemplate(v)) {
          tpl.add(PathTemplates.compile(v));
        } else if (v.equals("*")) {
          pres = true;
        } else if (v.endsWith("*")) {
          pre.add(v.substring(0, v.length() - 1));
        } else if (v.startsWith("*")) {
          suf.add(v.substring(1));
        } else {
          ex.add(v);
        }
      }
      exact = ex.toArray(new String[0]);
      prefix = pre.toArray(new String[0]);
      suffix = suf.toArray(new String[0]);
      templates = tpl.toArray(new Pattern[0]);
      presence = pres;
      this.ignoreCase = ignoreCase;
    }

    /** Null for an empty list (the field was not given: it constrains nothing). */
    static Field of(List<String> values, boolean ignoreCase) {
      return values == null || values.isEmpty() ? null : new Field(values, ignoreCase, false);
    }

    static Field paths(List<String> values) {
      return values == null || values.isEmpty() ? null : new Field(values, false, true);
    }

    boolean matchesAny(String v0) {
      if (v0 == null) {
        return false;
      }
      String v = ignoreCase ? v0.toLowerCase(Locale.ROOT) : v0;
      if (presence && !v.isEmpty()) {
        return true;
      }
      for (String e : exact) {
        if (e.equals(v)) {
          return true;
        }
      }
      for (String p : prefix) {
        if (v.startsWith(p)) {
          return true;
        }
      }
      for (String s : suffix) {
        if (v.endsWith(s)) {
          return true;
        }
      }
      for (Pattern t : templates) {
        if (t.matches(v)) {
          return true;
        }
      }
      return false;
    }

    /** A positive field: not given, or the value matches one of its values. */
    static boolean pos(Field f, String v) {
      return f == null || f.matchesAny(v);
    }

    /** A not* field: not given, or the value matches none of its values (an absent value matches none). */
    static boolean neg(Field f, String v) {
      return f == null || !f.matchesAny(v);
    }
  }

  /** IPs and CIDR blocks. */
  private static final class IpField {
    final byte[][] networks;
    final int[] bits;

    private IpField(List<String> blocks) {
      List<byte[]> nets = new ArrayList<>();
      List<Integer> bs = new ArrayList<>();
      for (String b : blocks) {
        int slash = b.indexOf('/');
        byte[] addr = parse(slash < 0 ? b : b.substring(0, slash));
        if (addr == null) {
          continue;
        }
        nets.add(addr);
        bs.add(slash < 0 ? addr.length * 8 : Integer.parseInt(b.substring(slash + 1)));
      }
      networks = nets.toArray(new byte[0][]);
      bits = bs.stream().mapToInt(Integer::intValue).toArray();
    }

    static IpField of(List<String> blocks) {
      return blocks == null || blocks.isEmpty() ? null : new IpField(blocks);
    }

    static boolean pos(IpField f, String ip) {
      return f == null || f.contains(ip);
    }

    static boolean neg(IpField f, String ip) {
      return f == null || !f.contains(ip);
    }

    boolean contains(String ip) {
      return contains(parse(ip));
    }

    boolean contains(byte[] a) {
      if (a == null) {
        return false;
      }
      for (int i = 0; i < networks.length; i++) {
        if (inBlock(a, networks[i], bits[i])) {
          return true;
        }
      }
      return false;
    }

    private static boolean inBlock(byte[] a, byte[] net, int bits) {
      if (a.length != net.length) {
        return false;
      }
      int full = bits / 8;
      for (int i = 0; i < full; i++) {
        if (a[i] != net[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (a[full] & mask) == (net[full] & mask);
    }

    /** An IP literal's bytes without any DNS lookup; null for anything else. */
    static byte[] parse(String ip) {
      if (ip == null || ip.isEmpty()) {
        return null;
      }
      String s = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
      if (!io.inmesh.policy.bind.DnsNames.isIp(s)) {
        return null; // a host name (or garbage): never resolved here
      }
      try {
        return InetAddress.getByName(s).getAddress();
      } catch (UnknownHostException | RuntimeException e) {
        return null;
      }
    }
  }
}
