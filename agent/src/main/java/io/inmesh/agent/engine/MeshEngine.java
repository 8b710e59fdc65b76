package io.inmesh.agent.engine;

import io.inmesh.agent.authz.AuditTrail;
import io.inmesh.agent.authz.InboundAuthorization;
import io.inmesh.agent.local.LocalResponder;
import io.inmesh.policy.log.Log;
import io.inmesh.agent.lifecycle.InboundStage;
import io.inmesh.agent.lifecycle.Lifecycle;
import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.MeshRuntime;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.OutboundRequest;
import io.inmesh.launcher.Settings;
import io.inmesh.policy.compile.HostNames;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.compile.RouteTable;
import io.inmesh.policy.compile.Workload;
import io.inmesh.policy.faults.StageFaults;
import io.inmesh.policy.identity.WorkloadIdentity;
import io.inmesh.policy.control.SnapshotTarget;
import io.inmesh.policy.snapshot.SnapshotCodec;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The mesh as adapters see it ({@link MeshRuntime}): decides outbound calls against the snapshot in
 * force and learns the application's listeners. Everything that can be prepared is prepared when a
 * snapshot is applied (compiled route table); a call costs a host lookup, and for mesh hosts a rule
 * scan and an endpoint pick.
 */
public final class MeshEngine implements MeshRuntime, SnapshotTarget {

  private final Settings settings;
  private final Workload workload;
  private final Listeners listeners;
  private final LocalResponder responder = new LocalResponder();
  private final CompletableFuture<Void> firstSnapshot = new CompletableFuture<>();
  private volatile CompletableFuture<Void> firstSnapshotOrDeadline;
  private final long startedAt = System.nanoTime();
  private final Lifecycle lifecycle;
  private final InboundStage inbound;
  private final InboundAuthorization authorization;
  private volatile ActiveSnapshot active;
  private volatile Consumer<Listeners> listenerObserver = l -> {};
  private volatile io.inmesh.agent.security.SecurityStage security;

  private final LongAdder routed = new LongAdder();
  private final Map<String, LongAdder> localAnswers = new ConcurrentHashMap<>();
  private final LongAdder startupWaits = new LongAdder();
  private final LongAdder internalErrors = new LongAdder();
  private final LongAdder identityDenials = new LongAdder();
  /** This workload's identity when it was given a join token (it must have one to call), else null. */
  private volatile WorkloadIdentity identity;
  private final CompletableFuture<Void> identityReady = new CompletableFuture<>();

  public MeshEngine(Settings settings) {
    this.settings = settings;
    this.workload = new Workload(settings.service, settings.namespace, settings.labels);
    this.listeners = new Listeners(settings.endpointAddress);
    this.lifecycle = new Lifecycle(responder, listeners::address);
    this.inbound = new InboundStage();
    this.authorization =
        new InboundAuthorization(settings.namespace + "/" + settings.service, new AuditTrail(settings.auditLog));
  }

  public Lifecycle lifecycle() {
    return lifecycle;
  }

  /**
   * Security fails closed (issue 10, part 4): a workload given a join token must hold a valid
   * certificate before its mesh calls go out. Until it has one, they wait with the start-up wait
   * (INMESH_STARTUP_WAIT from the agent's start, together with the first snapshot), then get a 503
   * local answer — never a plain call that mTLS would have protected.
   */
  public void requireIdentity(WorkloadIdentity id) {
    if (id == null || !id.required()) {
      return;
    }
    this.identity = id;
    id.onChange(this::identityChanged);
    identityChanged();
  }

  private void identityChanged() {
    WorkloadIdentity id = identity;
    if (id != null && id.ready()) {
      identityReady.complete(null);
    }
  }

  /** True while a required identity has no valid certificate. */
  private boolean identityMissing() {
    WorkloadIdentity id = identity;
    return id != null && !id.ready();
  }

  public Settings settings() {
    return settings;
  }

  public Listeners listeners() {
    return listeners;
  }

  public ActiveSnapshot active() {
    return active;
  }

  public LocalResponder responder() {
    return responder;
  }

  /** Called when the endpoint changes (a listener started or stopped). */
  public void onListenersChanged(Consumer<Listeners> observer) {
    this.listenerObserver = observer;
  }

  // ---- applying snapshots -----------------------------------------------------------------------

  /**
   * Decodes, validates (every resource, with the same binder the control plane uses) and compiles a
   * snapshot, then swaps it in as a whole. Anything wrong refuses the whole snapshot and the one in
   * force keeps serving.
   */
  @Override
  public Applied apply(byte[] json, boolean fromCache) {
    return apply(json, fromCache ? ActiveSnapshot.Source.CACHE : ActiveSnapshot.Source.CONTROL_PLANE);
  }

  @Override
  public String activeVersion() {
    ActiveSnapshot a = active;
    return a == null ? null : a.table().version();
  }

  public Applied apply(byte[] json, ActiveSnapshot.Source source) {
    SnapshotCodec.Decoded decoded = SnapshotCodec.decode(json);
    if (!decoded.ok()) {
      return new Applied(false, versionOf(json), decoded.errorSummary());
    }
    RouteTable table;
    try {
      table = RouteTable.compile(decoded.snapshot(), workload);
    } catch (RuntimeException e) {
      return new Applied(false, decoded.snapshot().version(), "cannot compile snapshot: " + e);
    }
    ActiveSnapshot previous = active;
    active = new ActiveSnapshot(table, json, source, Instant.now());
    firstSnapshot.complete(null);
    if (previous == null || !previous.table().version().equals(table.version())) {
      Log.info(
          "applied snapshot " + table.version() + " (generation " + table.generation() + ") from "
              + (source == ActiveSnapshot.Source.CACHE ? "the last-known-good cache" : "the control plane"));
      for (String w : table.warnings()) {
        Log.warn(w);
      }
    }
    return new Applied(true, table.version(), null);
  }

  private static String versionOf(byte[] json) {
    try {
      Object v = io.inmesh.policy.tree.JsonTrees.readObject(json).get("version");
      return v instanceof String s ? s : null;
    } catch (Exception e) {
      return null;
    }
  }

  public boolean ready() {
    return active != null;
  }

  // ---- MeshRuntime ------------------------------------------------------------------------------

  @Override
  public OutboundCall outbound(OutboundRequest request) {
    if (!"http".equalsIgnoreCase(request.scheme())) {
      return null; // https is the application's own TLS; mesh mTLS comes with the identity work
    }
    ActiveSnapshot a = active;
    if (a == null) {
      if (identity != null && HostNames.couldBeMeshHost(request.host()) && identityDenies()) {
        // no snapshot says whether the host is a mesh service, and no certificate could protect it
        return deniedForIdentity(null, request);
      }
      noteNoSnapshot(request.host());
      return null;
    }
    RouteDecision d;
    try {
      StageFaults.check(StageFaults.Stage.RESOLVE);
      d = a.table().decide(request);
    } catch (RuntimeException e) {
      if (identity == null) {
        throw e; // Mesh.outbound counts and logs it once, and the call passes through untouched
      }
      // security fails closed: a workload that must speak mTLS never sends a call it could not decide
      internalErrors.increment();
      Log.once(Log.Level.ERROR, "internal-resolve-closed", "internal error in the route decision (mTLS required, the call is denied): " + e);
      return lifecycle.call(new RouteDecision.Local(null, -1, RESOLVE_FAILED_CLOSED), request);
    }
    if (d == null) {
      return null;
    }
    if (d instanceof RouteDecision.Routed r) {
      if (identity != null && identityDenies()) {
        return deniedForIdentity(r.host(), request);
      }
      routed.increment();
    } else {
      LocalAnswer answer = ((RouteDecision.Local) d).answer();
      localAnswers.computeIfAbsent(answer.status() + " " + answer.reason(), k -> new LongAdder()).increment();
      if (Log.debugEnabled()) {
        Log.debug("local answer " + answer + " for " + request.method() + " " + request.host() + request.path());
      }
    }
    return lifecycle.call(d, request);
  }

  static final LocalAnswer RESOLVE_FAILED_CLOSED =
      new LocalAnswer(503, "inmesh could not decide this call and mTLS is required: denied (see the agent's log)", "UF");

  private OutboundCall deniedForIdentity(io.inmesh.policy.compile.HostRoute host, OutboundRequest request) {
    identityDenials.increment();
    return lifecycle.call(new RouteDecision.Local(host, -1, NO_IDENTITY), request);
  }

  /** What a mesh call gets while a required identity is missing: Envoy's UF shape, saying why. */
  static final LocalAnswer NO_IDENTITY =
      new LocalAnswer(
          503,
          "upstream connect error or disconnect/reset before headers. reset reason: connection failure, "
              + "transport failure reason: no workload certificate yet (inmesh identity not ready; see the agent's log)",
          "UF");

  /**
   * True when a mesh call must be refused for want of an identity. An error here denies and is
   * logged: an identity stage never lets traffic through on its own failure.
   */
  private boolean identityDenies() {
    try {
      if (!identityMissing()) {
        return false;
      }
      Log.once(
          Log.Level.WARN,
          "identity-missing",
          "no workload certificate within " + settings.startupWaitMillis + "ms of start (INMESH_STARTUP_WAIT): "
              + "mesh calls answer 503 until the control plane signs one (check INMESH_TOKEN and the control plane's log)");
      return true;
    } catch (RuntimeException e) {
      internalErrors.increment();
      Log.once(Log.Level.ERROR, "internal-identity", "internal error in the identity stage (the call is denied): " + e);
      return true;
    }
  }

  /**
   * One bounded wait: before any snapshot exists (none fetched, none cached), calls to hosts that
   * could be mesh services wait together for the first one, for at most INMESH_STARTUP_WAIT counted
   * from the agent's start, not from each call. After that they pass through at once.
   */
  @Override
  public long startupWaitNanos(String host) {
    if ((active != null && !identityMissing()) || settings.controlUrl == null || !HostNames.couldBeMeshHost(host)) {
      return 0;
    }
    long left = startedAt + TimeUnit.MILLISECONDS.toNanos(settings.startupWaitMillis) - System.nanoTime();
    if (left <= 0) {
      return 0;
    }
    startupWaits.increment();
    return left;
  }

  @Override
  public boolean routes(String host) {
    ActiveSnapshot a = active;
    if (a != null) {
      return a.table().lookup(host) != null;
    }
    // no snapshot yet: the client below waits for it (bounded, from the agent's start) if the host could be the mesh's
    return settings.controlUrl != null
        && HostNames.couldBeMeshHost(host)
        && startedAt + TimeUnit.MILLISECONDS.toNanos(settings.startupWaitMillis) - System.nanoTime() > 0;
  }

  @Override
  public CompletionStage<Void> firstSnapshot() {
    CompletableFuture<Void> f = firstSnapshotOrDeadline;
    if (f == null) {
      synchronized (this) {
        f = firstSnapshotOrDeadline;
        if (f == null) {
          long left = startedAt + TimeUnit.MILLISECONDS.toNanos(settings.startupWaitMillis) - System.nanoTime();
          CompletableFuture<Void> ready =
              identity == null ? firstSnapshot.copy() : CompletableFuture.allOf(firstSnapshot, identityReady);
          f = ready.completeOnTimeout(null, Math.max(0, left), TimeUnit.NANOSECONDS);
          firstSnapshotOrDeadline = f;
        }
      }
    }
    return f;
  }

  private void noteNoSnapshot(String host) {
    if (settings.controlUrl != null && HostNames.couldBeMeshHost(host)) {
      Log.once(
          Log.Level.WARN,
          "startup-wait",
          "no snapshot within " + settings.startupWaitMillis + "ms of start (INMESH_STARTUP_WAIT); calls to "
              + host + " and other mesh hosts pass through until one arrives from " + settings.controlUrl);
    }
  }

  @Override
  public void serverStarted(String library, InetSocketAddress bound) {
    if (listeners.started(bound)) {
      Log.info("listening: " + library + " on " + bound + " → endpoint " + listeners.address() + ":" + listeners.ports());
      listenerObserver.accept(listeners);
    }
  }

  @Override
  public void serverStopped(String library, InetSocketAddress bound) {
    if (listeners.stopped(bound)) {
      listenerObserver.accept(listeners);
    }
  }

  @Override
  public void propagate(java.util.function.Function<String, String> existing, HeaderSink request) {
    io.inmesh.agent.lifecycle.TracePropagation.propagate(existing, request);
  }

  @Override
  public LocalAnswer inbound(InboundRequest request) {
    ActiveSnapshot a = active;
    String peer; // read once, for both stages
    try {
      peer = InboundStage.peerIdentity(request.peerCertificates());
    } catch (RuntimeException e) {
      if (a != null && a.table().authorization().active()) {
        return authorization.failed(e); // security fails closed
      }
      throw e; // Mesh.inbound lets the request through, as for any inbound-stage error
    }
    if (a != null) {
      // authorization first, outside the faultable inbound stage: it fails closed on its own errors
      LocalAnswer denied = authorization.check(a.table().authorization(), request, peer);
      if (denied != null) {
        return denied;
      }
    }
    StageFaults.check(StageFaults.Stage.INBOUND); // Mesh.inbound lets the request through on any error
    return inbound.begin(request, peer);
  }

  @Override
  public void inboundResponse(HeaderSink response) {
    StageFaults.check(StageFaults.Stage.INBOUND);
    inbound.response(response);
  }

  @Override
  public void inboundEnd() {
    inbound.end();
  }

  // ---- secure stage (mTLS) ----------------------------------------------------------------------

  /** Installs the secure stage over this workload's identity: inbound PeerAuthentication, outbound auto mTLS. */
  public void installSecurity(io.inmesh.policy.identity.WorkloadIdentity identity) {
    io.inmesh.agent.security.SecurityStage s =
        new io.inmesh.agent.security.SecurityStage(identity, () -> {
          ActiveSnapshot a = active;
          return a == null ? null : a.table();
        });
    security = s;
    lifecycle.security(s);
    identity.onChange(s::warm); // the first mTLS connection should not pay for building the contexts
  }

  public io.inmesh.agent.security.SecurityStage security() {
    return security;
  }

  @Override
  public int inboundTls(InetSocketAddress local) {
    io.inmesh.agent.security.SecurityStage s = security;
    return s == null ? io.inmesh.bootstrap.InboundTls.PLAIN : s.inboundMode(local);
  }

  @Override
  public javax.net.ssl.SSLContext inboundSslContext() {
    io.inmesh.agent.security.SecurityStage s = security;
    try {
      return s == null ? null : s.inboundContext();
    } catch (java.security.GeneralSecurityException e) {
      Log.once(Log.Level.ERROR, "inbound-tls-context", "inmesh: no TLS context for inbound mTLS (connections needing it are refused): " + e);
      return null;
    }
  }

  @Override
  public void configureInboundEngine(javax.net.ssl.SSLEngine engine) {
    io.inmesh.agent.security.SecurityStage s = security;
    if (s == null) {
      throw new IllegalStateException("inmesh: no secure stage");
    }
    s.configureInboundEngine(engine);
  }

  @Override
  public String forwardedClientCert(java.security.cert.Certificate[] peer) {
    io.inmesh.agent.security.SecurityStage s = security;
    try {
      return s == null ? null : s.forwardedClientCert(peer);
    } catch (java.security.GeneralSecurityException e) {
      return null;
    }
  }

  // ---- observability ----------------------------------------------------------------------------

  public void recordInternalError() {
    internalErrors.increment();
  }

  public Map<String, Object> stats() {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("routed", routed.sum());
    Map<String, Long> local = new java.util.TreeMap<>();
    localAnswers.forEach((k, v) -> local.put(k, v.sum()));
    m.put("localAnswers", local);
    m.put("startupWaits", startupWaits.sum());
    m.put("identityDenials", identityDenials.sum());
    m.put("authorization", authorization.describe());
    m.put("internalErrors", internalErrors.sum());
    m.put("lifecycle", lifecycle.stats().describe());
    m.put("upstreams", lifecycle.upstreams().describe());
    m.put("inbound", inbound.describe());
    io.inmesh.agent.security.SecurityStage s = security;
    if (s != null) {
      m.put("security", s.describe());
    }
    return m;
  }
}
