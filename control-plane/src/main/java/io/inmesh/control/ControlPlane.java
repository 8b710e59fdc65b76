package io.inmesh.control;

import io.inmesh.control.api.AccessGuard;
import io.inmesh.control.api.ApiServer;
import io.inmesh.control.api.HttpCall;
import io.inmesh.control.api.IdentityApi;
import io.inmesh.control.ca.IdentityAuthority;
import io.inmesh.control.token.AdminCredential;
import io.inmesh.control.api.PolicyApi;
import io.inmesh.control.api.RegistryApi;
import io.inmesh.control.api.SnapshotApi;
import io.inmesh.control.poll.HeldPolls;
import io.inmesh.control.policy.PolicyChange;
import io.inmesh.control.policy.PolicyStore;
import io.inmesh.control.policy.PolicyWatcher;
import io.inmesh.control.registry.Registry;
import io.inmesh.control.registry.AgentRecord;
import io.inmesh.control.registry.RegistryFile;
import io.inmesh.control.registry.RegistryListener;
import io.inmesh.control.registry.RegistryPersistence;
import io.inmesh.control.snapshot.Snapshot;
import io.inmesh.control.snapshot.SnapshotService;
import io.inmesh.control.view.WorkloadViews;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.PolicyParser;
import io.inmesh.policy.diag.Diagnostic;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running control plane: wires the policy folder, the registry and the snapshot together behind
 * the API, and owns their threads. Tests start it in-process; {@link ControlPlaneMain} starts it
 * from the command line.
 */
public final class ControlPlane implements AutoCloseable {

  static final long SCAN_INTERVAL_MILLIS = 200;
  /** How long a file changed behind our back must hold still (size and mtime) before it is read. */
  static final long SETTLE_MILLIS = 50;
  static final long SWEEP_INTERVAL_MILLIS = 1000;
  /** A policy change's registry save (its generation) waits this long: past the wave of answers it brings. */
  static final long POLICY_SAVE_DELAY_MILLIS = 1_000;

  /** A policy change waits this long at most for the views before the whole-mesh snapshot is recomputed. */
  static final long VIEWS_FIRST_MILLIS = 5_000;
  /** How long a policy change's whole-mesh snapshot waits for the views' answers to go out. */
  static final long WAVE_FIRST_MILLIS = 3_000;

  /** A rebuild that publishes and takes this long is logged (what a slow edit spent its time on). */
  static final long SLOW_REBUILD_MILLIS = 100;
  private static final java.lang.management.ThreadMXBean THREAD_CPU = java.lang.management.ManagementFactory.getThreadMXBean();
  /** {@code -Dinmesh.control.logRebuilds=true}: every publishing rebuild is logged with its duration. */
  private static final boolean viewsTimed = Boolean.getBoolean("inmesh.control.logRebuilds");
  /** A sweep this much later than scheduled means the process was paused (SIGSTOP, GC, suspend). */
  static final Duration PAUSE_THRESHOLD = Duration.ofSeconds(3);

  private final ControlPlaneConfig config;
  private final EventLog log;
  private final ScheduledExecutorService scheduler;
  private final PolicyStore store;
  private final PolicyWatcher watcher;
  private final Registry registry;
  private final RegistryPersistence persistence;
  private final SnapshotService snapshots;
  private final WorkloadViews views;
  private final HeldPolls heldPolls;
  private final ScheduledExecutorService holdTimers;
  private final ScheduledExecutorService rebuilder;
  private final ExecutorService answerer;
  private final RebuildDebounce rebuilds;
  private final ApiServer api;
  private final InetSocketAddress address;
  private final IdentityAuthority identities;
  private final AdminCredential admin;
  private final InetSocketAddress tlsAddress;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile String lastScanProblem;

  private ControlPlane(ControlPlaneConfig config, IdentityAuthority.Settings identitySettings, EventLog log) throws IOException {
    this.config = config;
    this.log = log;
    Files.createDirectories(config.policyDir());
    Files.createDirectories(config.dataDir());
    // the CA first: a policy file whose MeshConfig names another trust domain is rejected on load
    identities = identitySettings == null ? null : new IdentityAuthority(identitySettings, Clock.systemUTC(), log);
    admin = identities != null ? identities.admin() : AdminCredential.loadOrCreate(config.dataDir());
    String trustDomain = identities == null ? null : identities.trustDomain();

    RegistryFile registryFile = new RegistryFile(config.dataDir());
    RegistryFile.Saved saved = loadRegistry(registryFile);
    registry = new Registry(Clock.systemUTC(), log);
    int restored = saved == null ? 0 : saved.agents().size();
    if (restored > 0) {
      registry.restore(saved.agents());
    }

    store = new PolicyStore(config.namespace());
    List<PolicyChange> initial = new ArrayList<>();
    // until the snapshot exists, changes are collected and logged with its first version below
    PolicyChangeSink sink = new PolicyChangeSink(initial::addAll);
    watcher =
        new PolicyWatcher(
            config.policyDir(), new PolicyParser(config.namespace(), trustDomain), store, sink::accept, this::logScanProblem);
    watcher.scan();

    // warm-up only after a start that restored nobody: then the registry is certainly incomplete
    Duration warmup = restored > 0 ? Duration.ZERO : config.warmup();
    snapshots =
        new SnapshotService(
            store::resourceTrees,
            registry::endpoints,
            saved == null ? null : saved.snapshotVersion(),
            saved == null ? 0 : saved.snapshotGeneration(),
            warmup);
    logPolicyChanges(initial, snapshots.current(), true);
    sink.target(this::policyChanged);

    scheduler = Executors.newScheduledThreadPool(2, DaemonThreads.named("inmesh-control-"));
    persistence =
        new RegistryPersistence(
            registryFile,
            () -> {
              // the last published version: the generation's continuity needs no rebuild of the whole mesh
              Snapshot s = snapshots.lastPublished();
              return new RegistryFile.Saved(registry.agents(), s.version(), s.generation());
            },
            scheduler,
            log);
    api = new ApiServer(log, config.capacity());
    ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("inmesh-control-hold-"));
    // an answered poll's timer is cancelled: it must leave the queue at once, or every answered
    // poll (its exchange and buffers) stays reachable until its wait would have ended
    timers.setRemoveOnCancelPolicy(true);
    holdTimers = timers;
    rebuilder = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("inmesh-control-views-"));
    // held polls are answered on their own thread, not the request pool: a fan-out of thousands of
    // answers never waits behind, nor crowds out, the calls coming in (its queue holds one task per
    // published view, so it is bounded by the number of views)
    answerer = Executors.newSingleThreadExecutor(DaemonThreads.named("inmesh-control-answers-"));
    rebuilds =
        new RebuildDebounce(
            (task, delayMillis) -> rebuilder.schedule(task, delayMillis, TimeUnit.MILLISECONDS), this::rebuildQuietly,
            System::nanoTime,
            // without per-thread CPU time, wall time (an overestimate on a busy core)
            THREAD_CPU.isCurrentThreadCpuTimeSupported() ? THREAD_CPU::getCurrentThreadCpuTime : System::nanoTime);
    heldPolls = new HeldPolls(holdTimers, answerer, config.heldPollLimit());
    snapshots.publisher(heldPolls::publish);
    views =
        new WorkloadViews(
            store::resourceTrees, registry, heldPolls, snapshots.lastPublished().generation(), snapshots::warmingUp,
            rebuilds::soon);
    snapshots.whenWarm(
        () -> {
          heldPolls.warmed(snapshots.channel());
          views.warmed();
        });
    registry.listener(new RegistryEvents());

    routes(api);
    api.onShed(this::heardDespiteShedding);
    try {
      address = api.start(config.listenHost(), config.listenPort());
    } catch (IOException e) {
      scheduler.shutdownNow();
      holdTimers.shutdownNow();
      rebuilder.shutdownNow();
      answerer.shutdownNow();
      snapshots.close();
      throw new IOException("cannot listen on " + config.listenHost() + ":" + config.listenPort() + ": " + e.getMessage(), e);
    }
    InetSocketAddress tls = null;
    if (identities != null && identitySettings.tlsHost() != null) {
      try {
        tls = api.startTls(identitySettings.tlsHost(), identitySettings.tlsPort(), identities.serverContext());
      } catch (IOException e) {
        api.close();
        scheduler.shutdownNow();
        holdTimers.shutdownNow();
        rebuilder.shutdownNow();
        answerer.shutdownNow();
        snapshots.close();
        throw new IOException(
            "cannot listen on " + identitySettings.tlsHost() + ":" + identitySettings.tlsPort() + " (--listen-tls): " + e.getMessage(), e);
      }
    }
    tlsAddress = tls;
    if (identities != null) {
      scheduler.scheduleWithFixedDelay(this::identityTickQuietly, 1, 1, TimeUnit.SECONDS);
    }

    scheduler.scheduleWithFixedDelay(this::scanQuietly, SCAN_INTERVAL_MILLIS, SCAN_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    registry.sweepsStart();
    scheduler.scheduleWithFixedDelay(
        this::sweepQuietly, SWEEP_INTERVAL_MILLIS, SWEEP_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);

    if (restored > 0) {
      log.info("registry: restored " + plural(restored, "agent") + " from " + registryFile.path()
          + ", each with a fresh ttl of " + Durations.format(config.ttl()));
      persistence.requestSave();
    } else if (snapshots.warmingUp()) {
      log.info("registry: nothing restored; holding polls that carry a version for "
          + Durations.format(warmup) + " so running agents re-register first");
      snapshots.whenWarm(() -> {
        if (!closed.get()) {
          log.info("registry: warm-up over, " + plural(registry.size(), "agent") + " registered");
        }
      });
    }
    if (identities == null) {
      log.info("identity: off (no --data-dir): no workload certificates are issued; start with --data-dir DIR to issue them");
    } else {
      log.info("identity: " + identities.describe() + (tlsAddress == null ? "" : "; TLS API on " + tlsUri().toString().replaceAll("/$", "")));
    }
    if (!address.getAddress().isLoopbackAddress()) {
      log.info("warning: --listen " + config.listenHost() + " serves plain HTTP beyond this host: anyone on the network can read"
          + " policy and the registry" + (identities == null ? " and register as any workload" : "")
          + "; use --listen-tls for agents on other hosts and keep --listen on a loopback address");
    }
    log.banner(banner());
  }

  /** Starts a control plane that issues workload identities ({@code identity} null: it issues none). */
  public static ControlPlane start(ControlPlaneConfig config, IdentityAuthority.Settings identity, EventLog log) throws IOException {
    return new ControlPlane(config, identity, log);
  }

  /** {@code https://host:port/} of {@code --listen-tls}, or null without it. */
  public URI tlsUri() {
    if (tlsAddress == null) {
      return null;
    }
    String host = tlsAddress.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("https://" + host + ":" + tlsAddress.getPort() + "/");
  }

  public IdentityAuthority identities() {
    return identities;
  }

  private void identityTickQuietly() {
    try {
      identities.tick();
    } catch (RuntimeException e) {
      log.info("ca: check failed: " + e);
    }
  }

  /** Starts a control plane; it serves until {@link #close()}. */
  public static ControlPlane start(ControlPlaneConfig config, EventLog log) throws IOException {
    return new ControlPlane(config, null, log);
  }

  public URI baseUri() {
    String host = address.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + address.getPort() + "/");
  }

  public ControlPlaneConfig config() {
    return config;
  }

  public Snapshot currentSnapshot() {
    return snapshots.current();
  }

  /** Stops serving and writes the registry, so that the next start serves the same endpoints. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    scheduler.shutdownNow();
    rebuilder.shutdownNow();
    heldPolls.close();
    snapshots.close();
    // held polls answer "unchanged" instead of being cut off
    heldPolls.bounce(snapshots.channel());
    views.bounceAll();
    holdTimers.shutdownNow();
    answerer.shutdown(); // the bounces queued above are answered before the listener closes
    try {
      answerer.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    answerer.shutdownNow();
    api.close();
    persistence.flush();
    log.info("stopped; registry of " + plural(registry.size(), "agent") + " saved");
  }

  private void routes(ApiServer server) {
    new RegistryApi(registry, snapshots, views, config.namespace(), config.heartbeat(), config.ttl()).routes(server);
    new SnapshotApi(snapshots, views, registry, heldPolls, server, config.viewHold()).routes(server);
    new PolicyApi(store, watcher, new PolicyParser(config.namespace(), identities == null ? null : identities.trustDomain()), snapshots)
        .routes(server);
    if (identities != null) {
      new IdentityApi(identities, Clock.systemUTC(), log).routes(server);
    }
    server.guard(new AccessGuard(identities, admin, registry));
    server.route("GET", "/healthz", call -> call.text(200, "ok"));
    server.route("GET", "/v1/load", call -> call.json(200, load()));
  }

  /** A shed heartbeat, ack or view poll still says its agent is alive. */
  private void heardDespiteShedding(HttpCall call) {
    String agent = null;
    try {
      if (call.path().equals("/v1/view")) {
        agent = call.query("agent");
      } else if (call.method().equals("POST") && (call.path().equals("/v1/heartbeat") || call.path().equals("/v1/ack"))) {
        agent = call.jsonBody(4096).optionalString("agent");
      }
    } catch (IOException | RuntimeException e) {
      return; // not worth more than the 503 it gets
    }
    if (agent != null) {
      registry.heartbeat(agent);
    }
  }

  /** What the control plane carries right now, against its capacity. */
  private Map<String, Object> load() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("capacity", config.capacity());
    m.put("inProgress", api.inProgress());
    m.put("heldPolls", heldPolls.held());
    m.put("heldPollLimit", heldPolls.limit());
    m.put("lastAnswerWave", heldPolls.lastWave());
    m.put("shed", api.shed());
    m.put("agents", registry.size());
    m.put("views", views.size());
    m.put("registryChanges", rebuilds.registryChanges());
    m.put("rebuilds", rebuilds.rebuilds());
    return m;
  }

  /** Applies what changed to views (and the whole-mesh snapshot, if watched); on the rebuild thread ({@link RebuildDebounce}). */
  private void rebuildQuietly() {
    long start = System.nanoTime();
    long cpuStart = THREAD_CPU.isCurrentThreadCpuTimeSupported() ? THREAD_CPU.getCurrentThreadCpuTime() : -1;
    try {
      SnapshotService.Refresh r = snapshots.refreshIfWatched();
      if (r.changed()) {
        log.info("snapshot " + r.snapshot().version() + " generation " + r.snapshot().generation()
            + " (registry: " + plural(r.snapshot().endpoints(), "endpoint") + ")");
      }
      int published = views.rebuild();
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      if (published > 0 && (took >= SLOW_REBUILD_MILLIS || viewsTimed)) {
        long cpu = cpuStart < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(THREAD_CPU.getCurrentThreadCpuTime() - cpuStart);
        // wall and CPU time: on a busy core the difference is time spent waiting for the core
        log.info("views: " + plural(published, "view") + " of " + views.size() + " published in " + took + " ms ("
            + cpu + " ms of CPU)");
      }
    } catch (RuntimeException e) {
      log.info("view rebuild failed: " + e);
    }
  }

  /** The one line scripts wait for; its shape is a contract. */
  private String banner() {
    return "inmesh control plane "
        + BuildInfo.VERSION
        + " listening on "
        + baseUri().toString().replaceAll("/$", "")
        + ", policy dir "
        + config.policyDir().toAbsolutePath().normalize()
        + " ("
        + store.names().size()
        + " files, "
        + store.resourceCount()
        + " resources, "
        + store.rejectedCount()
        + " with errors), data dir "
        + config.dataDir().toAbsolutePath().normalize();
  }

  /** Registry changes move the snapshot (endpoints) and the registry file (everything). */
  private final class RegistryEvents implements RegistryListener {
    @Override
    public void endpointsChanged(Set<ServiceKey> services) {
      snapshots.markDirty();
      views.endpointsChanged(services);
      rebuilds.registryChanged();
    }

    @Override
    public void recordsChanged() {
      persistence.requestSave();
    }

    @Override
    public void registered(AgentRecord record) {
      persistence.journal(record);
    }

    @Override
    public void deregistered(String agent) {
      persistence.journalDeregistration(agent);
    }
  }

  private static String plural(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private RegistryFile.Saved loadRegistry(RegistryFile file) {
    try {
      return file.load();
    } catch (IOException | RuntimeException e) {
      String aside;
      try {
        aside = " (kept as " + file.setAside() + ")";
      } catch (IOException moveFailed) {
        aside = "";
      }
      log.info("registry: cannot read " + file.path() + ": " + e.getMessage() + aside + "; starting empty");
      return null;
    }
  }

  private void policyChanged(List<PolicyChange> changes) {
    views.policyChanged();
    // a policy change is one event (a file written), not a burst: views are rebuilt at once,
    // before the whole-mesh snapshot below
    rebuilds.now();
    awaitViewsRebuild();
    // and until the views' answers are out (issue 9: at 10,000 agents the whole-mesh snapshot,
    // recomputed beside them, took a third of the one core while they went out)
    heldPolls.awaitWaveOut(WAVE_FIRST_MILLIS);
    SnapshotService.Refresh r = snapshots.refresh();
    logPolicyChanges(changes, r.snapshot(), r.changed());
    if (r.changed()) {
      // the generation counts on across restarts; saved a second later, not during the answers
      // this change sends (issue 9: 10,000 of them for a namespace-wide edit)
      persistence.requestSave(POLICY_SAVE_DELAY_MILLIS);
    }
  }

  /**
   * Waits, at most {@link #VIEWS_FIRST_MILLIS}, for the views rebuild just scheduled, so the
   * whole-mesh snapshot is recomputed after the views rather than beside them: on one core, the two
   * at once slowed every view's answers (issue 9: at 10,000 endpoints the whole-mesh snapshot is the
   * larger of the two, and only a client of {@code GET /v1/snapshot} waits for it).
   */
  private void awaitViewsRebuild() {
    try {
      rebuilder.submit(() -> {}).get(VIEWS_FIRST_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      // shutting down, or a slow rebuild: the snapshot goes on beside it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void logPolicyChanges(List<PolicyChange> changes, Snapshot s, boolean changed) {
    String tail =
        " -> snapshot " + s.version() + " generation " + s.generation() + (changed ? "" : " (unchanged)");
    for (PolicyChange c : changes) {
      if (c.kind() != PolicyChange.Kind.DELETED) {
        // logged once per content change: a file is parsed only when its content moved
        for (Diagnostic d : c.state().latest().diagnostics()) {
          log.info(d.format());
        }
      }
      log.info(c.describe() + tail);
    }
    // findings that need every file at once (PolicySetValidator), each logged when it first appears
    for (Diagnostic d : store.newCrossResourceFindings()) {
      log.info(d.format());
    }
  }

  private void scanQuietly() {
    try {
      watcher.scan();
      if (watcher.settling()) {
        // a file changed behind our back is read once it held still: look again shortly rather
        // than a whole scan interval later (an out-of-band edit then costs ~50 ms, not 200-400)
        scheduler.schedule(this::settleQuietly, SETTLE_MILLIS, TimeUnit.MILLISECONDS);
      }
    } catch (RuntimeException e) {
      logScanProblem("policy scan failed: " + e);
    }
  }

  private void settleQuietly() {
    try {
      watcher.scan();
    } catch (RuntimeException e) {
      logScanProblem("policy scan failed: " + e);
    }
  }

  private void logScanProblem(String problem) {
    // the scan runs every 200 ms: say a lasting problem once, not five times a second
    if (!problem.equals(lastScanProblem)) {
      lastScanProblem = problem;
      log.info(problem);
    }
  }

  private void sweepQuietly() {
    try {
      registry.expire(config.ttl(), PAUSE_THRESHOLD.plusMillis(SWEEP_INTERVAL_MILLIS));
    } catch (RuntimeException e) {
      log.info("registry sweep failed: " + e);
    }
  }

  /** Forwards policy changes to whoever handles them at the moment (a collector during start). */
  private static final class PolicyChangeSink {
    private volatile Consumer<List<PolicyChange>> target;

    PolicyChangeSink(Consumer<List<PolicyChange>> target) {
      this.target = target;
    }

    void target(Consumer<List<PolicyChange>> t) {
      this.target = t;
    }

    void accept(List<PolicyChange> changes) {
      target.accept(changes);
    }
  }
}
