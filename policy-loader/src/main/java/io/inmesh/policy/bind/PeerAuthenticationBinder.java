package io.inmesh.policy.bind;

import io.inmesh.policy.Enforcement;
import io.inmesh.policy.model.MtlsMode;
import io.inmesh.policy.model.PeerAuthentication;
import io.inmesh.policy.model.ResourceRef;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Binds and checks a PeerAuthentication spec (https://istio.io/latest/docs/reference/config/security/peer_authentication/). */
final class PeerAuthenticationBinder {
  private static final List<String> MODES = List.of("UNSET", "DISABLE", "PERMISSIVE", "STRICT");

  private PeerAuthenticationBinder() {}

  static PeerAuthentication bind(ResourceRef ref, String file, Cursor spec) {
    spec.checkFields(Set.of("selector", "mtls", "portLevelMtls"), Map.of("mode", "mode goes under mtls: {mode: STRICT}"));
    Map<String, String> selector = CommonBinders.selector(spec.get("selector"), "selector");
    MtlsMode mode = mode(spec.get("mtls"));
    Map<Integer, MtlsMode> ports = new TreeMap<>();
    Cursor plc = spec.get("portLevelMtls");
    if (plc.present()) {
      Map<String, Cursor> entries = plc.entries();
      if (plc.isMap() && entries.isEmpty()) {
        plc.error("portLevelMtls, if given, must have at least one port", null);
      }
      if (selector == null || selector.isEmpty()) {
        plc.error(
            "mesh/namespace peer authentication cannot have port level mTLS (portLevelMtls requires selector)",
            "add selector: {matchLabels: {...}} or move the port settings to a workload policy");
      }
      for (Map.Entry<String, Cursor> e : entries.entrySet()) {
        Integer port = parsePort(e.getKey());
        if (port == null) {
          e.getValue().error("\"" + e.getKey() + "\" is not a port 1..65535", null);
          continue;
        }
        MtlsMode m = mode(e.getValue());
        ports.put(port, m == null ? MtlsMode.UNSET : m);
      }
    }
    (spec.get("mtls").present() ? spec.get("mtls") : spec).notEnforced(Enforcement.PEER_AUTHENTICATION);
    return new PeerAuthentication(ref, file, selector, mode == null ? MtlsMode.UNSET : mode, Collections.unmodifiableMap(ports));
  }

  private static MtlsMode mode(Cursor mtls) {
    if (!mtls.present() || !mtls.expectMap()) {
      return null;
    }
    mtls.checkFields(Set.of("mode"), null);
    Cursor m = mtls.get("mode");
    if (!m.present()) {
      return MtlsMode.UNSET;
    }
    String v = m.enumValue(MODES);
    return v == null ? null : MtlsMode.valueOf(v);
  }

  private static Integer parsePort(String s) {
    if (s.isEmpty() || s.length() > 5) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      if (!Character.isDigit(s.charAt(i))) {
        return null;
      }
    }
    int p = Integer.parseInt(s);
    return p >= 1 && p <= 65535 ? p : null;
  }
}
