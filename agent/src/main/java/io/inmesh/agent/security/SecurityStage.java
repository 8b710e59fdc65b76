package io.inmesh.agent.security;

import io.inmesh.agent.lifecycle.UpstreamSecurity;
import io.inmesh.bootstrap.InboundTls;
import io.inmesh.bootstrap.UpstreamTls;
import io.inmesh.policy.compile.Cluster;
import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.MtlsPolicy;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.identity.WorkloadIdentity;
import io.inmesh.policy.log.Log;
import io.inmesh.policy.model.ClientTlsSettings;
import io.inmesh.policy.model.MtlsMode;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;

/**
 * The {@code secure} stage, both ways.
 *
 * <p>Inbound: the workload's PeerAuthentication with Istio's precedence (workload selector, then
 * namespace, then mesh-wide in the root namespace; {@code portLevelMtls} per port), compiled in the
 * route table ({@link MtlsPolicy}), decides per listener port what a new connection gets
 * (https://istio.io/latest/docs/reference/config/security/peer_authentication/). Without an identity
 * a STRICT port refuses everything: security fails closed.
 *
 * <p>Outbound (https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#auto-mutual-tls):
 * a DestinationRule {@code tls} mode decides when set (DISABLE: plain; ISTIO_MUTUAL: mTLS; SIMPLE and
 * MUTUAL: TLS originated with the rule's files and names, {@link OriginatedTls}); otherwise
 * auto mTLS sends mTLS to endpoints that registered an identity unless their own PeerAuthentication
 * for that port is DISABLE, and plain text to everything else. The server must present one of the
 * identities the registry vouches for the destination's endpoints (secure naming), or those a
 * DestinationRule's {@code subjectAltNames} lists.
 */
public final class SecurityStage implements UpstreamSecurity {
  /** The agent's own ports (admin, health, Prometheus) are never subject to PeerAuthentication. */
  static final Set<Integer> AGENT_PORTS = Set.of(15000, 15020, 15090);

  private final WorkloadIdentity identity;
  private final MeshTls tls;
  private final Supplier<RouteTable> table;
  private volatile Decisions decisions = new Decisions(null);
  private final LongAdder upstreamMtls = new LongAdder();
  private final LongAdder upstreamPlain = new LongAdder();
  private final LongAdder refused = new LongAdder();

  public SecurityStage(WorkloadIdentity identity, Supplier<RouteTable> table) {
    this.identity = identity;
    this.tls = new MeshTls(identity);
    this.table = table;
  }

  public MeshTls tls() {
    return tls;
  }

  // ---- inbound ----------------------------------------------------------------------------------

  /** One of {@link InboundTls}'s modes for a connection accepted on {@code local}. */
  public int inboundMode(InetSocketAddress local) {
    if (local == null) {
      return InboundTls.PLAIN;
    }
    int port = local.getPort();
    if (port == 15000 || port == 15020 || port == 15090) { // AGENT_PORTS, without boxing: this runs per exchange
      return InboundTls.PLAIN;
    }
    RouteTable t = table.get();
    MtlsMode mode;
    if (t == null) {
      mode = MtlsMode.PERMISSIVE;
    } else {
      MtlsPolicy p = t.mtls();
      mode = p.portModes().isEmpty() ? p.mode() : p.modeFor(port);
    }
    switch (mode) {
      case DISABLE:
        return InboundTls.PLAIN;
      case STRICT:
        if (identity == null || !identity.ready()) {
          refused.increment();
          Log.once(Log.Level.WARN, "strict-no-identity", "PeerAuthentication STRICT on port " + local.getPort()
              + " but this workload has no identity yet: connections are refused (give the agent INMESH_TOKEN)");
          return InboundTls.REFUSE;
        }
        return InboundTls.MTLS_ONLY;
      default:
        return identity != null && identity.ready() ? InboundTls.EITHER : InboundTls.PLAIN;
    }
  }

  /** Builds the server context and a TLS engine once, off the request path (identity thread). */
  public void warm() {
    try {
      SSLContext c = tls.serverContext();
      c.createSSLEngine().getSession();
      tls.warm();
    } catch (Exception | LinkageError e) {
      // the first connection builds them, or says what is wrong
    }
  }

  public SSLContext inboundContext() throws java.security.GeneralSecurityException {
    return tls.serverContext();
  }

  /** Configures the engine of one accepted mTLS connection (counted: /config_dump {@code security.tls.inboundConnections}). */
  public void configureInboundEngine(SSLEngine engine) {
    tls.configureInboundEngine(engine);
  }

  public String forwardedClientCert(Certificate[] peer) throws java.security.GeneralSecurityException {
    return tls.forwardedClientCert(peer);
  }

  // ---- outbound ---------------------------------------------------------------------------------

  @Override
  public UpstreamTls tlsFor(RouteDecision.Routed routed, TrafficPolicy traffic, InetSocketAddress endpoint) {
    try {
      ClientTlsSettings dr = traffic == null ? null : traffic.tls();
      if (dr == null && (identity == null || !identity.required())) {
        // what decide() answers without a DestinationRule tls for a workload outside mTLS: plain
        // text, known without a lookup (issue 13: the per-attempt cost of a plain-text mesh)
        upstreamPlain.increment();
        return null;
      }
      RouteTable t = table.get();
      Decisions d = decisions;
      if (d.table != t) {
        d = new Decisions(t);
        decisions = d;
      }
      Cluster cluster = routed.cluster();
      Object key = dr == null ? endpoint : java.util.List.of(endpoint, dr);
      Map<Object, Object> perCluster = d.byCluster.get(cluster);
      if (perCluster == null) {
        perCluster = d.byCluster.computeIfAbsent(cluster, c -> new ConcurrentHashMap<>());
      }
      Object decided = perCluster.get(key);
      if (decided == null) {
        decided = decide(t, cluster, dr, endpoint);
        perCluster.put(key, decided);
      }
      if (decided instanceof UpstreamTls u) {
        upstreamMtls.increment();
        return u;
      }
      upstreamPlain.increment();
      return null;
    } catch (RuntimeException e) {
      Log.once(Log.Level.ERROR, "upstream-tls", "inmesh: cannot decide how to secure a call (it fails rather than going out"
          + " in plain text): " + e);
      return FAILING;
    }
  }

  private static final Object PLAIN = new Object();

  private Object decide(RouteTable t, Cluster cluster, ClientTlsSettings dr, InetSocketAddress address) {
    if (dr != null) {
      switch (dr.mode()) {
        case DISABLE:
          return PLAIN;
        case ISTIO_MUTUAL:
          Set<String> names = dr.subjectAltNames() != null && !dr.subjectAltNames().isEmpty()
              ? Set.copyOf(dr.subjectAltNames())
              : cluster.identities();
          return tls.client(names);
        case SIMPLE:
        case MUTUAL:
          // TLS origination to a host outside the mesh's identities (egress TLS origination): the
          // logical host (the ServiceEntry's) gives the SNI and the name checked when the rule names none
          return new OriginatedTls(dr, cluster.service().fqdn(), tls.stats());
        default:
          return PLAIN;
      }
    }
    // auto mTLS: only a workload that takes part in mTLS itself originates it
    if (identity == null || !identity.required()) {
      return PLAIN;
    }
    Endpoint ep = cluster.endpointAt(address);
    if (ep == null || ep.identity() == null) {
      return PLAIN;
    }
    if (t != null) {
      MtlsPolicy server = t.mtlsOf(new Workload(cluster.service().name(), cluster.service().namespace(), ep.labels()));
      if (server.modeFor(address.getPort()) == MtlsMode.DISABLE) {
        return PLAIN;
      }
    }
    return tls.client(cluster.identities());
  }

  /** Decisions for one route table: per cluster, per endpoint. */
  private static final class Decisions {
    final RouteTable table;
    final Map<Cluster, Map<Object, Object>> byCluster = new ConcurrentHashMap<>();

    Decisions(RouteTable table) {
      this.table = table;
    }
  }

  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    RouteTable t = table.get();
    m.put("inboundMode", t == null ? "PERMISSIVE" : t.mtls().mode().name());
    m.put("identity", tls.ownId());
    m.put("upstreamAttemptsMtls", upstreamMtls.sum());
    m.put("upstreamAttemptsPlain", upstreamPlain.sum());
    m.put("inboundRefusedWithoutIdentity", refused.sum());
    m.put("tls", tls.stats().describe());
    return m;
  }

  /** Fails every handshake: what an internal error in the stage turns into. */
  static final UpstreamTls FAILING = new UpstreamTls() {
    @Override
    public SSLEngine newEngine(String peerHost, int port) {
      throw new IllegalStateException("inmesh: the secure stage failed; the call is not sent in plain text");
    }

    @Override
    public SSLSocketFactory socketFactory() {
      throw new IllegalStateException("inmesh: the secure stage failed; the call is not sent in plain text");
    }

    @Override
    public String expected() {
      return "(failed)";
    }
  };
}
