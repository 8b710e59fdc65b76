package io.inmesh.policy.validate;

import io.inmesh.policy.ParseResult;
import io.inmesh.policy.ParsedResource;
import io.inmesh.policy.compile.HostNames;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.diag.Diagnostic;
import io.inmesh.policy.diag.Severity;
import io.inmesh.policy.model.DestinationRule;
import io.inmesh.policy.model.HttpMirror;
import io.inmesh.policy.model.HttpRoute;
import io.inmesh.policy.model.MeshConfig;
import io.inmesh.policy.model.PeerAuthentication;
import io.inmesh.policy.model.PolicyResource;
import io.inmesh.policy.model.RouteDestination;
import io.inmesh.policy.model.ServiceEntry;
import io.inmesh.policy.model.Subset;
import io.inmesh.policy.model.VirtualService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks that need every resource of a policy set at once (what {@code ./inmesh validate} and the
 * control plane run after parsing each file): the same object defined twice, two MeshConfigs, two
 * VirtualServices for one host (the first by file name wins), subsets referenced but not defined,
 * delegates that do not exist, ServiceEntries that declare a host twice, DestinationRules that
 * merge, and PeerAuthentications that conflict for one workload. Findings point at the file, line,
 * resource and field of the later resource of a conflict, and name the earlier one.
 *
 * <p>The input is the resources of every file in file-name order (the order the control plane
 * serves them in); resources with errors of their own are skipped.
 */
public final class PolicySetValidator {

  private PolicySetValidator() {}

  /** Cross-resource findings for parse results, taken in file-name order. */
  public static List<Diagnostic> validateFiles(List<ParseResult> files) {
    List<ParseResult> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(ParseResult::file, Comparator.nullsFirst(Comparator.naturalOrder())));
    List<ParsedResource> all = new ArrayList<>();
    for (ParseResult f : sorted) {
      all.addAll(f.resources());
    }
    return validate(all);
  }

  /** Cross-resource findings for resources already in file-name (then document) order. */
  public static List<Diagnostic> validate(List<ParsedResource> resources) {
    return new Run(resources).run();
  }

  private static final class Run {
    private final List<ParsedResource> resources = new ArrayList<>();
    private final List<Diagnostic> out = new ArrayList<>();
    private String rootNamespace = MeshConfig.DEFAULT_ROOT_NAMESPACE;
    private final Set<String> externalHosts = new HashSet<>();
    /** DestinationRule hosts with a wildcard (few), so subset checks need not scan every host. */
    private final List<String> wildcardHosts = new ArrayList<>();

    Run(List<ParsedResource> all) {
      for (ParsedResource r : all) {
        if (r != null && r.ok()) {
          resources.add(r);
        }
      }
    }

    List<Diagnostic> run() {
      duplicates();
      for (ParsedResource r : resources) {
        if (r.resource() instanceof MeshConfig mc) {
          rootNamespace = mc.rootNamespace();
          break;
        }
      }
      serviceEntries();
      virtualServiceHosts();
      subsetsAndDelegates();
      destinationRules();
      peerAuthentications();
      return List.copyOf(out);
    }

    private void add(Severity s, ParsedResource r, String path, String message, String hint) {
      PolicyResource res = r.resource();
      out.add(new Diagnostic(s, res.file() != null ? res.file() : "<input>", r.lineOf(path), res.ref().toString(), path, message, hint));
    }

    private static String where(ParsedResource r) {
      String file = r.resource().file();
      return (file == null ? "<input>" : file) + (r.line() > 0 ? ":" + r.line() : "");
    }

    private static String id(PolicyResource r) {
      return r.namespace() + "/" + r.ref().name();
    }

    /** The same kind/namespace/name twice: Kubernetes keeps one object per name. */
    private void duplicates() {
      Map<String, ParsedResource> seen = new HashMap<>();
      ParsedResource firstMesh = null;
      for (ParsedResource r : resources) {
        String key = r.resource().ref().toString();
        ParsedResource first = seen.putIfAbsent(key, r);
        if (first != null) {
          add(
              Severity.ERROR,
              r,
              "metadata.name",
              r.resource().ref() + " is already defined at " + where(first) + "; one object per kind, namespace and name",
              "rename one of them or delete the duplicate");
        }
        if (r.resource() instanceof MeshConfig) {
          if (firstMesh == null) {
            firstMesh = r;
          } else if (first == null) {
            add(Severity.ERROR, r, "kind", "a second MeshConfig (the first is at " + where(firstMesh) + "); a mesh has one", "merge them");
          }
        }
      }
    }

    private void serviceEntries() {
      Map<String, ParsedResource> byHost = new HashMap<>();
      for (ParsedResource r : resources) {
        if (!(r.resource() instanceof ServiceEntry se)) {
          continue;
        }
        for (int i = 0; i < se.hosts().size(); i++) {
          String h = HostNames.normalize(se.hosts().get(i));
          externalHosts.add(h);
          ParsedResource first = byHost.putIfAbsent(h, r);
          if (first != null && first != r) {
            add(
                Severity.WARNING,
                r,
                "spec.hosts[" + i + "]",
                "host " + h + " is also declared by ServiceEntry " + id(first.resource()) + " (" + where(first) + "); the first by file name wins",
                null);
          }
        }
      }
    }

    private String hostKey(String host, String namespace) {
      String h = HostNames.normalize(host);
      if (h.startsWith("*") || externalHosts.contains(h)) {
        return h;
      }
      ServiceKey k = HostNames.meshServiceOf(h, namespace);
      return k == null ? h : k.fqdn();
    }

    /** Istio serves one VirtualService per host to sidecars; inmesh takes the first by file name. */
    private void virtualServiceHosts() {
      Set<String> delegates = delegateIds();
      Map<String, ParsedResource> byHost = new LinkedHashMap<>();
      for (ParsedResource r : resources) {
        if (!(r.resource() instanceof VirtualService vs) || !vs.appliesToMesh()) {
          continue;
        }
        if (vs.hostsInferred() && delegates.contains(id(vs))) {
          continue;
        }
        for (int i = 0; i < vs.hosts().size(); i++) {
          String key = hostKey(vs.hosts().get(i), vs.namespace());
          ParsedResource first = byHost.putIfAbsent(key, r);
          if (first != null && first != r && seenTogether((VirtualService) first.resource(), vs)) {
            add(
                Severity.WARNING,
                r,
                vs.hostsInferred() ? "spec" : "spec.hosts[" + i + "]",
                "host " + key + " is also routed by VirtualService " + id(first.resource()) + " (" + where(first)
                    + "); one VirtualService per host applies to sidecars: the first by file name wins, "
                    + id(first.resource()) + ", and this one is ignored for " + key,
                "merge the rules into one VirtualService");
          }
        }
      }
    }

    /** Whether some namespace sees both (exportTo): only then do they compete for the host. */
    private static boolean seenTogether(VirtualService a, VirtualService b) {
      Set<String> sa = visibleIn(a);
      Set<String> sb = visibleIn(b);
      if (sa == null || sb == null) {
        return sa != null ? !sa.isEmpty() : sb == null || !sb.isEmpty();
      }
      for (String ns : sa) {
        if (sb.contains(ns)) {
          return true;
        }
      }
      return false;
    }

    /** The namespaces a VirtualService is exported to; null for every namespace. */
    private static Set<String> visibleIn(VirtualService vs) {
      if (vs.exportTo().isEmpty() || vs.exportTo().contains("*")) {
        return null;
      }
      Set<String> out = new HashSet<>();
      for (String e : vs.exportTo()) {
        if (e.equals(".")) {
          out.add(vs.namespace());
        } else if (!e.equals("~")) {
          out.add(e);
        }
      }
      return out;
    }

    private Set<String> delegateIds() {
      Set<String> ids = new HashSet<>();
      for (ParsedResource r : resources) {
        if (r.resource() instanceof VirtualService vs) {
          for (HttpRoute h : vs.http()) {
            if (h.delegate() != null) {
              ids.add(h.delegate().namespace() + "/" + h.delegate().name());
            }
          }
        }
      }
      return ids;
    }

    private void subsetsAndDelegates() {
      Map<String, List<DestinationRule>> rulesByHost = new HashMap<>();
      Map<String, ParsedResource> virtualServices = new HashMap<>();
      for (ParsedResource r : resources) {
        if (r.resource() instanceof DestinationRule dr) {
          String key = hostKey(dr.host(), dr.namespace());
          if (key.startsWith("*") && !rulesByHost.containsKey(key)) {
            wildcardHosts.add(key);
          }
          rulesByHost.computeIfAbsent(key, x -> new ArrayList<>()).add(dr);
        } else if (r.resource() instanceof VirtualService vs) {
          virtualServices.putIfAbsent(id(vs), r);
        }
      }
      for (ParsedResource r : resources) {
        if (!(r.resource() instanceof VirtualService vs)) {
          continue;
        }
        for (int i = 0; i < vs.http().size(); i++) {
          HttpRoute h = vs.http().get(i);
          String base = "spec.http[" + i + "]";
          for (int j = 0; j < h.route().size(); j++) {
            RouteDestination d = h.route().get(j);
            checkSubset(r, vs, base + ".route[" + j + "].destination.subset", d.destination().host(), d.destination().subset(), rulesByHost);
          }
          int mirrorIndex = 0;
          for (HttpMirror m : h.mirrors()) {
            String path = hasMirrorField(r, i) ? base + ".mirror.subset" : base + ".mirrors[" + mirrorIndex + "].destination.subset";
            checkSubset(r, vs, path, m.destination().host(), m.destination().subset(), rulesByHost);
            mirrorIndex++;
          }
          if (h.delegate() != null) {
            String target = h.delegate().namespace() + "/" + h.delegate().name();
            ParsedResource d = virtualServices.get(target);
            if (d == null) {
              add(
                  Severity.WARNING,
                  r,
                  base + ".delegate",
                  "delegate VirtualService " + target + " is not defined; Istio skips this rule",
                  null);
            } else if (!((VirtualService) d.resource()).hostsInferred() && !((VirtualService) d.resource()).hosts().isEmpty()) {
              add(
                  Severity.WARNING,
                  d,
                  "spec.hosts",
                  "this VirtualService is the delegate of " + id(vs) + " but has hosts; a delegate must have none (Istio)",
                  "remove spec.hosts from the delegate");
            }
          }
        }
      }
    }

    @SuppressWarnings("unchecked")
    private static boolean hasMirrorField(ParsedResource r, int i) {
      Object spec = r.tree().get("spec");
      if (spec instanceof Map<?, ?> s && s.get("http") instanceof List<?> http && i < http.size() && http.get(i) instanceof Map<?, ?> rule) {
        return rule.containsKey("mirror");
      }
      return false;
    }

    private void checkSubset(
        ParsedResource r, VirtualService vs, String path, String host, String subset, Map<String, List<DestinationRule>> rulesByHost) {
      if (subset == null) {
        return;
      }
      String key = hostKey(host, vs.namespace());
      List<DestinationRule> drs = new ArrayList<>(rulesByHost.getOrDefault(key, List.of()));
      for (String wildcard : wildcardHosts) {
        if (wildcard.equals("*") || key.endsWith(wildcard.substring(1))) {
          drs.addAll(rulesByHost.get(wildcard));
        }
      }
      Set<String> defined = new TreeSet<>();
      for (DestinationRule dr : drs) {
        for (Subset s : dr.subsets()) {
          defined.add(s.name());
        }
      }
      if (defined.contains(subset)) {
        return;
      }
      String known =
          drs.isEmpty()
              ? "no DestinationRule for " + key + " defines subsets"
              : "DestinationRule " + id(drs.get(0)) + " defines " + (defined.isEmpty() ? "none" : String.join(", ", defined));
      add(
          Severity.WARNING,
          r,
          path,
          "subset " + subset + " of " + key + " is not defined (" + known + "); calls routed there get 503 no healthy upstream",
          "add subset " + subset + " to a DestinationRule for " + key + ", or fix the name");
    }

    /** Several DestinationRules for one host in one namespace: Istio merges them (and warns). */
    private void destinationRules() {
      Map<String, ParsedResource> first = new HashMap<>();
      for (ParsedResource r : resources) {
        if (!(r.resource() instanceof DestinationRule dr) || dr.workloadSelector() != null) {
          continue;
        }
        String key = dr.namespace() + "|" + hostKey(dr.host(), dr.namespace());
        ParsedResource f = first.putIfAbsent(key, r);
        if (f == null) {
          continue;
        }
        DestinationRule a = (DestinationRule) f.resource();
        List<String> clash = new ArrayList<>();
        for (Subset s : dr.subsets()) {
          if (a.subset(s.name()) != null) {
            clash.add(s.name());
          }
        }
        add(
            Severity.WARNING,
            r,
            "spec.host",
            "DestinationRule " + id(a) + " (" + where(f) + ") is for the same host in this namespace: they merge, its"
                + " traffic policy wins" + (dr.trafficPolicy() != null && a.trafficPolicy() != null ? " over this one's" : "")
                + (clash.isEmpty() ? "" : ", and its subsets " + clash + " win over the ones here"),
            "keep one DestinationRule per host and namespace");
      }
    }

    /** PeerAuthentications that can apply to one workload at one level disagree: Istio takes the oldest. */
    private void peerAuthentications() {
      List<ParsedResource> pas = new ArrayList<>();
      for (ParsedResource r : resources) {
        if (r.resource() instanceof PeerAuthentication pa) {
          boolean selects = pa.selector() != null && !pa.selector().isEmpty();
          if (selects && pa.namespace().equals(rootNamespace)) {
            add(
                Severity.WARNING,
                r,
                "spec.selector",
                "a PeerAuthentication with a selector in the root namespace (" + rootNamespace + ") is ignored (Istio)",
                "move it to the workload's namespace, or drop the selector to make it mesh-wide");
            continue;
          }
          pas.add(r);
        }
      }
      for (int i = 0; i < pas.size(); i++) {
        PeerAuthentication b = (PeerAuthentication) pas.get(i).resource();
        for (int j = 0; j < i; j++) {
          PeerAuthentication a = (PeerAuthentication) pas.get(j).resource();
          if (!a.namespace().equals(b.namespace())) {
            continue;
          }
          boolean aSel = a.selector() != null && !a.selector().isEmpty();
          boolean bSel = b.selector() != null && !b.selector().isEmpty();
          if (aSel != bSel) {
            continue; // different levels: the workload policy overrides the namespace one, as intended
          }
          if (!aSel) {
            String level = a.namespace().equals(rootNamespace) ? "mesh-wide" : "namespace-wide";
            add(
                Severity.WARNING,
                pas.get(i),
                "spec",
                "a second " + level + " PeerAuthentication in " + a.namespace() + " (the first is " + id(a) + ", " + where(pas.get(j))
                    + "); Istio uses the oldest, inmesh the first by file name: " + id(a),
                "keep one " + level + " PeerAuthentication");
            break;
          }
          if (compatible(a.selector(), b.selector())
              && (a.mode() != b.mode() || !Objects.equals(a.portLevelMtls(), b.portLevelMtls()))) {
            Map<String, String> labels = new LinkedHashMap<>(a.selector());
            labels.putAll(b.selector());
            add(
                Severity.WARNING,
                pas.get(i),
                "spec.selector",
                "conflicts with PeerAuthentication " + id(a) + " (" + where(pas.get(j)) + "): a workload labelled " + labels
                    + " is selected by both, with mtls " + describe(a) + " there and " + describe(b)
                    + " here; Istio applies the oldest, inmesh the first by file name: " + id(a),
                "make the selectors disjoint, or merge the policies");
            break;
          }
        }
      }
    }

    private static String describe(PeerAuthentication p) {
      return p.mode() + (p.portLevelMtls().isEmpty() ? "" : " " + p.portLevelMtls());
    }

    /** Whether some set of labels satisfies both selectors (no label required with two values). */
    private static boolean compatible(Map<String, String> a, Map<String, String> b) {
      for (Map.Entry<String, String> e : a.entrySet()) {
        String v = b.get(e.getKey());
        if (v != null && !v.equals(e.getValue())) {
          return false;
        }
      }
      return true;
    }
  }
}
