package io.inmesh.bench.mode;

import java.util.Map;

/**
 * The modes compared side by side. Each mode has a slot that gives its processes their own
 * loopback addresses (see {@link Topology}), so all modes of a pair can run at once and be measured
 * in interleaved rounds.
 */
public enum Mode {
  BASELINE("baseline", 1, Agent.NONE, Sidecar.NONE, Map.of(), null, "no agent"),
  OTEL("otel", 2, Agent.OTEL, Sidecar.NONE, Map.of(), null, "stock OpenTelemetry agent 2.31.1, exporters off"),
  INMESH("inmesh", 3, Agent.INMESH, Sidecar.NONE, Map.of(), null, "inmesh agent, defaults (trace context on, exporters off), routed by name via a VirtualService"),
  INMESH_NOTRACE(
      "inmesh-notrace", 4, Agent.INMESH, Sidecar.NONE, Map.of("OTEL_TRACES_SAMPLER", "always_off"), null, "inmesh with OTEL_TRACES_SAMPLER=always_off: the mesh alone"),
  INMESH_MTLS(
      "inmesh-mtls", 5, Agent.INMESH, Sidecar.NONE, Map.of(),
      "skipped: inmesh has no mTLS yet (identity/mTLS work is a later issue); the mode runs once PeerAuthentication STRICT is enforced by the agent",
      "inmesh with mTLS between the services"),
  SIDECAR("sidecar", 6, Agent.NONE, Sidecar.PLAIN, Map.of(), null, "HAProxy outbound + inbound pair on the hop, HTTP keep-alive"),
  SIDECAR_MTLS("sidecar-mtls", 7, Agent.NONE, Sidecar.MTLS, Map.of(), null, "the same HAProxy pair, mutual TLS between the proxies");

  /** Which -javaagent the mode's JVMs carry. */
  public enum Agent {
    NONE,
    OTEL,
    INMESH
  }

  /** Whether the hop goes through a proxy pair, and with TLS between the proxies. */
  public enum Sidecar {
    NONE,
    PLAIN,
    MTLS
  }

  public final String id;
  public final int slot;
  public final Agent agent;
  public final Sidecar sidecar;
  public final Map<String, String> extraEnv;
  /** Non-null when the mode cannot run yet: why. */
  public final String skipReason;
  public final String description;

  Mode(String id, int slot, Agent agent, Sidecar sidecar, Map<String, String> extraEnv, String skipReason, String description) {
    this.id = id;
    this.slot = slot;
    this.agent = agent;
    this.sidecar = sidecar;
    this.extraEnv = extraEnv;
    this.skipReason = skipReason;
    this.description = description;
  }

  public static Mode byId(String id) {
    for (Mode m : values()) {
      if (m.id.equals(id)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown mode " + id);
  }

  public boolean meshed() {
    return agent == Agent.INMESH;
  }
}
