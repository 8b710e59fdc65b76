package io.inmesh.policy.compile;

import io.inmesh.policy.model.MtlsMode;
import io.inmesh.policy.model.PeerAuthentication;
import io.inmesh.policy.model.PolicyResource;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The PeerAuthentication in force for one workload
 * (https://istio.io/latest/docs/reference/config/security/peer_authentication/): a workload policy
 * (selector matching its labels, in its namespace) wins over the namespace policy (no selector),
 * which wins over the mesh policy (no selector, in the root namespace); {@code UNSET} inherits from
 * the next level, and PERMISSIVE applies when nothing sets a mode. Port-level modes come from the
 * workload policy only; an UNSET port inherits the workload's mode. Policies with a selector in
 * the root namespace are ignored, as Istio documents. Among several policies at one level the
 * first (by file name, then document order) wins; Istio takes the oldest.
 *
 * @param mode the workload's mode (never UNSET)
 * @param portModes workload port → mode (never UNSET)
 * @param sources the policies that contributed, most specific first
 */
public record MtlsPolicy(MtlsMode mode, Map<Integer, MtlsMode> portModes, List<String> sources) {

  public static final MtlsPolicy DEFAULT = new MtlsPolicy(MtlsMode.PERMISSIVE, Map.of(), List.of());

  public MtlsMode modeFor(int port) {
    MtlsMode m = portModes.get(port);
    return m == null ? mode : m;
  }

  public static MtlsPolicy forWorkload(List<? extends PolicyResource> resources, Workload workload, String rootNamespace) {
    if (workload == null) {
      return DEFAULT;
    }
    PeerAuthentication wl = null;
    PeerAuthentication ns = null;
    PeerAuthentication mesh = null;
    Map<String, String> labels = workload.labels() == null ? Map.of() : workload.labels();
    for (PolicyResource r : resources) {
      if (!(r instanceof PeerAuthentication pa)) {
        continue;
      }
      boolean selects = pa.selector() != null && !pa.selector().isEmpty();
      if (pa.namespace().equals(workload.namespace())) {
        if (selects) {
          if (wl == null && matches(pa.selector(), labels) && !pa.namespace().equals(rootNamespace)) {
            wl = pa;
          }
        } else if (ns == null) {
          ns = pa;
        }
      }
      if (pa.namespace().equals(rootNamespace) && !selects && mesh == null) {
        mesh = pa;
      }
    }
    java.util.ArrayList<String> sources = new java.util.ArrayList<>();
    MtlsMode mode = null;
    for (PeerAuthentication p : new PeerAuthentication[] {wl, ns, mesh == ns ? null : mesh}) {
      if (p == null) {
        continue;
      }
      sources.add(p.namespace() + "/" + p.ref().name());
      if (mode == null && p.mode() != MtlsMode.UNSET) {
        mode = p.mode();
      }
    }
    if (mode == null) {
      mode = MtlsMode.PERMISSIVE;
    }
    Map<Integer, MtlsMode> ports = new TreeMap<>();
    if (wl != null) {
      for (Map.Entry<Integer, MtlsMode> e : wl.portLevelMtls().entrySet()) {
        ports.put(e.getKey(), e.getValue() == MtlsMode.UNSET ? mode : e.getValue());
      }
    }
    if (sources.isEmpty()) {
      return DEFAULT;
    }
    return new MtlsPolicy(mode, Collections.unmodifiableMap(ports), List.copyOf(sources));
  }

  static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
