package io.inmesh.control.registry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An agent record as JSON: what {@code GET /v1/agents} shows and what {@code registry.json} keeps.
 * One shape for both, so an operator can read the file like the API.
 */
public final class AgentJson {

  private AgentJson() {}

  public static Map<String, Object> toJson(AgentRecord a) {
    Registration r = a.registration();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("agent", r.agent());
    m.put("service", r.service());
    m.put("namespace", r.namespace());
    m.put("labels", a.sortedLabels());
    m.put("address", r.address());
    m.put("ports", r.ports());
    m.put("serviceAccount", r.serviceAccount());
    m.put("pid", r.pid());
    m.put("host", r.host());
    m.put("agentVersion", r.agentVersion());
    m.put("identity", r.identity());
    m.put("certificateExpires", text(r.certificateExpires()));
    m.put("registeredAt", text(a.registeredAt()));
    m.put("lastSeen", text(a.lastSeen()));
    m.put("appliedVersion", a.appliedVersion());
    m.put("appliedAt", text(a.appliedAt()));
    m.put("rejectedVersion", a.rejectedVersion());
    m.put("rejectError", a.rejectError());
    m.put("lastAckAccepted", a.lastAckAccepted());
    return m;
  }

  /** Reads a record written by {@link #toJson}; throws on a shape it did not write. */
  public static AgentRecord fromJson(Map<String, Object> m) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (m.get("labels") instanceof Map<?, ?> l) {
      l.forEach((k, v) -> labels.put(String.valueOf(k), String.valueOf(v)));
    }
    List<Integer> ports = new ArrayList<>();
    if (m.get("ports") instanceof List<?> p) {
      for (Object o : p) {
        ports.add(((Number) o).intValue());
      }
    }
    Registration r =
        new Registration(
            required(m, "agent"),
            required(m, "service"),
            required(m, "namespace"),
            labels,
            (String) m.get("address"),
            ports,
            (String) m.get("serviceAccount"),
            m.get("pid") instanceof Number n ? n.longValue() : null,
            (String) m.get("host"),
            (String) m.get("agentVersion"),
            (String) m.get("identity"),
            instant(m.get("certificateExpires")));
    Instant registeredAt = instant(m.get("registeredAt"));
    return new AgentRecord(
        r,
        registeredAt == null ? Instant.EPOCH : registeredAt,
        instant(m.get("lastSeen")) == null ? Instant.EPOCH : instant(m.get("lastSeen")),
        (String) m.get("appliedVersion"),
        instant(m.get("appliedAt")),
        (String) m.get("rejectedVersion"),
        (String) m.get("rejectError"),
        (Boolean) m.get("lastAckAccepted"));
  }

  private static String required(Map<String, Object> m, String key) {
    if (!(m.get(key) instanceof String s) || s.isEmpty()) {
      throw new IllegalArgumentException("agent record without " + key);
    }
    return s;
  }

  private static String text(Instant i) {
    return i == null ? null : i.toString();
  }

  private static Instant instant(Object o) {
    return o instanceof String s ? Instant.parse(s) : null;
  }
}
