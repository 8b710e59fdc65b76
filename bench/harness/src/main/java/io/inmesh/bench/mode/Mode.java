package io.inmesh.bench.mode;

import java.util.Map;

/**
 * The modes compared side by side. A mode is a declaration, not code: which agent jar its JVMs
 * carry ({@link Agent}), which settings that agent gets ({@link Settings}), extra environment, and
 * which extra processes it runs (a control plane for inmesh agents; a proxy pair for sidecars).
 * {@link io.inmesh.bench.measure.ModeSet} starts any declaration; a new mode is one more constant.
 * Each mode has a slot that gives its processes their own loopback addresses (see {@link
 * Topology}), so all modes of a pair run at once and are measured in interleaved rounds.
 */
public enum Mode {
  BASELINE("baseline", 1, Agent.NONE, Settings.STOCK, Sidecar.NONE, Map.of(), null, "no agent"),
  OTEL("otel", 2, Agent.OTEL, Settings.STOCK, Sidecar.NONE, Map.of(), null, "stock OpenTelemetry agent 2.31.1, exporters off, everything else as shipped (what users compare against)"),
  OTEL_LEAN(
      "otel-lean", 10, Agent.OTEL, Settings.INMESH_DISTRIBUTION, Sidecar.NONE, Map.of(), null,
      "stock OpenTelemetry agent 2.31.1 with exactly the settings inmesh's distribution supplies (instrumentations, resource detectors, exporters off), "
          + "read out of the benchmarked inmesh jar: inmesh − otel-lean is the mesh's own cost"),
  INMESH("inmesh", 3, Agent.INMESH, Settings.STOCK, Sidecar.NONE, Map.of("INMESH_PROFILE", "mesh"), null,
      "inmesh agent, defaults: profile=mesh (no exporter configured: inmesh's modules on the lean host, no OpenTelemetry agent), routed by name via a VirtualService"),
  INMESH_TRACED(
      "inmesh-traced", 13, Agent.INMESH, Settings.STOCK, Sidecar.NONE, Map.of("INMESH_PROFILE", "traced"), null,
      "inmesh agent, profile=traced (the embedded OpenTelemetry agent hosts the mesh; trace context on, exporters off), routed by name via a VirtualService"),
  INMESH_NOTRACE(
      "inmesh-notrace", 4, Agent.INMESH, Settings.STOCK, Sidecar.NONE, Map.of("INMESH_PROFILE", "traced", "OTEL_TRACES_SAMPLER", "always_off"), null,
      "inmesh profile=traced with OTEL_TRACES_SAMPLER=always_off: the mesh alone on the OpenTelemetry agent"),
  INMESH_MTLS(
      "inmesh-mtls", 5, Agent.INMESH, Settings.STOCK, Sidecar.NONE, Map.of("INMESH_PROFILE", "mesh"), null,
      "inmesh with mesh mTLS on the hop: both workloads hold a certificate from the control plane's CA (join tokens), the backend runs"
          + " PeerAuthentication STRICT (a workload selector: the frontend stays PERMISSIVE for the load generator), the frontend's client originates"
          + " mTLS in-process (Istio's auto mTLS); profile=mesh; checked before measuring: a plain-text call to the backend is refused"),
  INMESH_RETRY(
      "inmesh-retry", 12, Agent.INMESH, Settings.STOCK, Sidecar.NONE, Map.of("INMESH_PROFILE", "mesh"), null,
      "inmesh (profile=mesh) with a retry policy and a timeout on the route (timeout 2s; retries: attempts 3, perTryTimeout 500ms, retryOn"
          + " 5xx,reset,connect-failure; the backend never fails, so nothing fires): the mesh's own cost with such a route in place (issue 7)"),
  OTEL_BARE(
      "otel-bare", 14, Agent.OTEL, Settings.BARE, Sidecar.NONE, Map.of(), null,
      "stock OpenTelemetry agent 2.31.1 with every instrumentation off (OTEL_INSTRUMENTATION_COMMON_DEFAULT_ENABLED=false), exporters off:"
          + " the upstream agent's fixed cost, a floor under any profile that embeds it (issue 13)"),
  BB_FLOOR(
      "bb-floor", 15, Agent.FLOOR, Settings.STOCK, Sidecar.NONE, Map.of(), null,
      "a minimal Byte Buddy agent (bench/floor-agent, not shipped): its jar on the bootstrap path and one no-op advice woven into the HTTP classes"
          + " a request goes through, no mesh: the floor under an in-process agent that weaves advice with Byte Buddy, as the mesh profile does (issue 13)"),
  SIDECAR("sidecar", 6, Agent.NONE, Settings.STOCK, Sidecar.PLAIN, Map.of(), null, "HAProxy outbound + inbound pair on the hop, HTTP keep-alive"),
  SIDECAR_MTLS("sidecar-mtls", 7, Agent.NONE, Settings.STOCK, Sidecar.MTLS, Map.of(), null, "the same HAProxy pair, mutual TLS between the proxies");

  /** Which -javaagent the mode's JVMs carry (an inmesh agent also brings a control plane). */
  public enum Agent {
    NONE,
    OTEL,
    INMESH,
    /** bench/floor-agent: Byte Buddy weaving a no-op advice, nothing else. */
    FLOOR
  }

  /** Which settings the agent runs with, beyond the exporters being off. */
  public enum Settings {
    /** The agent as shipped. */
    STOCK,
    /** The OTel properties inmesh's distribution supplies by default ({@link InmeshDistributionSettings}). */
    INMESH_DISTRIBUTION,
    /** Every upstream instrumentation off. */
    BARE
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
  public final Settings settings;
  public final Sidecar sidecar;
  public final Map<String, String> extraEnv;
  /** Non-null when the mode cannot run yet: why. */
  public final String skipReason;
  public final String description;

  Mode(String id, int slot, Agent agent, Settings settings, Sidecar sidecar, Map<String, String> extraEnv, String skipReason, String description) {
    this.id = id;
    this.slot = slot;
    this.agent = agent;
    this.settings = settings;
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
    throw new IllegalArgumentException("unknown mode " + id + " (one of " + java.util.Arrays.stream(values()).map(m -> m.id).toList() + ")");
  }

  /** Why this mode cannot run on {@code pair}, or null when it can. */
  public String skipReason(AppPair pair) {
    if (skipReason != null) {
      return skipReason;
    }
    if (meshTls() && pair.serverMtlsMissing != null) {
      return "skipped on the " + pair.id + " pair: " + pair.serverMtlsMissing;
    }
    return null;
  }

  /** Whether the hop is mesh mTLS: identities for both workloads, STRICT on the backend. */
  public boolean meshTls() {
    return this == INMESH_MTLS;
  }

  /** Whether the mode runs inmesh's agents (and so a control plane). */
  public boolean meshed() {
    return agent == Agent.INMESH;
  }
}
