package io.inmesh.control.view;

import io.inmesh.control.poll.HeldPolls;
import io.inmesh.control.poll.PollChannel;
import io.inmesh.control.registry.AgentRecord;
import io.inmesh.control.registry.Registry;
import io.inmesh.control.snapshot.Snapshot;
import io.inmesh.control.snapshot.SnapshotService;
import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.snapshot.SnapshotCodec;
import io.inmesh.policy.tree.JsonTrees;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Per-workload views: what a workload scoped by a Sidecar is sent. A view holds only the services
 * its Sidecar lets it reach (plus the destinations of their VirtualServices), the policy about
 * those, the PeerAuthentication and AuthorizationPolicy of the namespaces involved, and mesh-wide
 * resources. Every agent with the same {@link ViewKey} shares one view, its encoded bytes and its
 * poll channel, so the cost of a change grows with the views it touches, not with the agents.
 *
 * <p>Registry changes are applied in the debounced {@link #rebuild()}: only views that contain a
 * changed service are re-encoded, and a view is published (its held polls answered) only when its
 * content hash moved. Workloads no Sidecar scopes get the whole-mesh snapshot, as in Istio.
 */
public final class WorkloadViews {

  private static final Comparator<ServiceKey> SERVICE_ORDER = Registry.SERVICE_ORDER;

  private final Supplier<List<Map<String, Object>>> resources;
  private final Registry registry;
  private final HeldPolls polls;
  private final Supplier<Boolean> warming;
  private final Runnable requestRebuild;
  private final Map<ViewKey, View> views = new ConcurrentHashMap<>();
  /** Which views carry a service (exact scopes); wildcard scopes are checked on every change. Guarded by itself. */
  private final Map<ServiceKey, Set<ViewKey>> viewsByService = new HashMap<>();
  // what changed since the last rebuild: written by request threads without waiting for a rebuild
  private final Set<ServiceKey> dirtyServices = ConcurrentHashMap.newKeySet();
  private final Set<ViewKey> dirtyViews = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean policyDirty = new AtomicBoolean();
  private final AtomicLong changes = new AtomicLong();
  private volatile PolicyIndex index;
  /** Each service's entry, encoded once per change of its endpoints and shared by the views that carry it. */
  private final Map<ServiceKey, EncodedService> encodedServices = new ConcurrentHashMap<>();

  /**
   * Each resource tree of the current policy, encoded (canonical, for the version; wire, for the
   * body) once: keyed by the tree's identity; a policy change drops the trees it replaced.
   */
  private final Map<Map<String, Object>, byte[][]> encodedResources =
      java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
  private volatile long generation;

  /** One view: its scope, the services it carries, and the channel its agents poll. */
  private static final class View {
    final ViewKey key;
    final SidecarScope sidecar;
    final PollChannel channel;
    volatile Set<ServiceKey> services = Set.of();
    /** What the published snapshot was made of: a rebuild that finds the same skips hashing and encoding. */
    List<Map<String, Object>> resources = List.of();
    Map<ServiceKey, List<Endpoint>> endpoints = Map.of();

    View(ViewKey key, SidecarScope sidecar, PollChannel channel) {
      this.key = key;
      this.sidecar = sidecar;
      this.channel = channel;
    }
  }

  /** A view's computed content; the version (a hash) is computed only when the content moved. */
  private record Content(Set<ServiceKey> services, List<Map<String, Object>> resources,
      Map<ServiceKey, List<Endpoint>> endpoints) {
    String version() {
      return SnapshotService.versionOf(resources, endpoints);
    }
  }

  /**
   * @param requestRebuild asks for a {@link #rebuild()} soon (a view built while something changed)
   */
  public WorkloadViews(
      Supplier<List<Map<String, Object>>> resources, Registry registry, HeldPolls polls, long generation,
      Supplier<Boolean> warming, Runnable requestRebuild) {
    this.resources = resources;
    this.registry = registry;
    this.polls = polls;
    this.generation = generation;
    this.warming = warming;
    this.requestRebuild = requestRebuild;
    this.index = PolicyIndex.of(resources.get());
  }

  /** The view an agent is served, or null when no Sidecar scopes it (it gets the whole mesh). */
  public ViewKey keyFor(AgentRecord agent) {
    SidecarScope s = index.sidecarFor(agent.serviceKey().namespace(), agent.registration().labels());
    return s == null ? null : new ViewKey(agent.serviceKey().namespace(), s.ref());
  }

  /**
   * The channel of a view, built on first use without waiting for a rebuild in progress; a view
   * built while something changed is rebuilt by the next {@link #rebuild()}.
   */
  public PollChannel channel(ViewKey key) {
    View v = views.get(key);
    if (v != null) {
      return v.channel;
    }
    long seen = changes.get();
    SidecarScope sc = index.sidecars.get(key.sidecar());
    if (sc == null) {
      return null; // the Sidecar went away since the key was computed: the caller looks again
    }
    // one build per view however many of its agents ask at once (a fleet starting up)
    View built =
        views.computeIfAbsent(
            key,
            k -> {
              Content c = content(k, sc);
              View fresh = new View(k, sc, new PollChannel(encode(c), warming.get()));
              fresh.resources = c.resources();
              fresh.endpoints = c.endpoints();
              reindex(fresh, c.services());
              return fresh;
            });
    if (changes.get() != seen) {
      dirtyViews.add(key);
      requestRebuild.run();
    }
    return built.channel;
  }

  public int size() {
    return views.size();
  }

  /** The version a view's agents should run, or null for an agent no Sidecar scopes. */
  public String versionFor(AgentRecord agent) {
    ViewKey k = keyFor(agent);
    View v = k == null ? null : views.get(k);
    return v == null ? null : v.channel.current().version();
  }

  /** Endpoints of these services changed: the views that carry them are rebuilt by {@link #rebuild()}. */
  public void endpointsChanged(Set<ServiceKey> services) {
    dirtyServices.addAll(services);
    changes.incrementAndGet();
  }

  /** Policy changed: every view's scope and resources are recomputed by {@link #rebuild()}. */
  public void policyChanged() {
    policyDirty.set(true);
    changes.incrementAndGet();
  }

  /**
   * Applies what changed since the last rebuild; returns how many views were published. Runs on
   * one thread at a time (the debounced rebuild).
   */
  public synchronized int rebuild() {
    boolean policy = policyDirty.getAndSet(false);
    Set<ServiceKey> dirty = drain(dirtyServices);
    Set<ViewKey> affected = new LinkedHashSet<>(drain(dirtyViews));
    if (!policy && dirty.isEmpty() && affected.isEmpty()) {
      return 0;
    }
    if (policy) {
      List<Map<String, Object>> trees = resources.get();
      index = PolicyIndex.of(trees);
      // the files that did not change keep their trees, and so their encodings; the rest go
      // (issue 9: a namespace-wide edit re-encoded every resource of every file)
      Set<Map<String, Object>> current = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      current.addAll(trees);
      synchronized (encodedResources) {
        encodedResources.keySet().retainAll(current);
      }
      affected.addAll(views.keySet());
    } else {
      synchronized (viewsByService) {
        for (ServiceKey s : dirty) {
          affected.addAll(viewsByService.getOrDefault(s, Set.of()));
        }
      }
      for (View v : views.values()) {
        if (!v.sidecar.exact() && dirty.stream().anyMatch(s -> v.sidecar.allows(s, v.key.namespace()))) {
          affected.add(v.key);
        }
      }
    }
    generation++;
    int held = 0;
    for (ViewKey k : affected) {
      View v = views.get(k);
      held += v == null ? 0 : v.channel.heldCount();
    }
    HeldPolls.Wave wave = polls.wave(held);
    int published = 0;
    try {
      published = publish(affected, wave);
    } finally {
      wave.end();
    }
    return published;
  }

  /** Recomputes the affected views, answering each one's held polls as soon as it changed. */
  private int publish(Set<ViewKey> affected, HeldPolls.Wave wave) {
    int published = 0;
    for (ViewKey k : affected) {
      View old = views.get(k);
      if (old == null) {
        continue;
      }
      SidecarScope sc = index.sidecars.get(k.sidecar());
      if (sc == null || !sc.equals(old.sidecar)) {
        // the Sidecar went away or changed: its agents look their view up again
        views.remove(k);
        reindex(old, Set.of());
        polls.bounce(old.channel);
        continue;
      }
      Content c = content(k, sc);
      reindex(old, c.services());
      if (c.resources().equals(old.resources) && c.endpoints().equals(old.endpoints)) {
        continue; // same content: no hash, no encoding (most views, for most changes)
      }
      Snapshot next = encode(c);
      old.resources = c.resources();
      old.endpoints = c.endpoints();
      if (!next.version().equals(old.channel.current().version())) {
        wave.publish(old.channel, next);
        published++;
      }
    }
    return published;
  }

  /** Shutting down: every held view poll is answered "unchanged". */
  public void bounceAll() {
    for (View v : views.values()) {
      polls.bounce(v.channel);
    }
  }

  /** Once the warm-up is over, polls held by agents that run another version are answered. */
  public void warmed() {
    for (View v : views.values()) {
      polls.warmed(v.channel);
    }
  }

  private static <T> Set<T> drain(Set<T> concurrent) {
    Set<T> out = new HashSet<>();
    for (T t : concurrent) {
      if (concurrent.remove(t)) {
        out.add(t);
      }
    }
    return out;
  }

  private void reindex(View v, Set<ServiceKey> services) {
    synchronized (viewsByService) {
      for (ServiceKey k : v.services) {
        Set<ViewKey> keys = viewsByService.get(k);
        if (keys != null) {
          keys.remove(v.key);
          if (keys.isEmpty()) {
            viewsByService.remove(k);
          }
        }
      }
      v.services = Set.copyOf(services);
      if (v.sidecar.exact()) {
        for (ServiceKey k : v.services) {
          viewsByService.computeIfAbsent(k, x -> new HashSet<>()).add(v.key);
        }
      }
    }
  }

  /** What a view holds now: its services, policy and endpoints, and the version of that content. */
  private Content content(ViewKey key, SidecarScope sc) {
    PolicyIndex ix = index;
    String wns = key.namespace();
    Set<ServiceKey> scope = new LinkedHashSet<>();
    if (sc.exact()) {
      for (SidecarScope.EgressHost h : sc.hosts()) {
        ServiceKey k = h.service(wns);
        scope.add(k != null ? k : ServiceKey.external(h.dnsName()));
      }
    } else {
      for (ServiceKey k : registry.services()) {
        if (sc.allows(k, wns)) {
          scope.add(k);
        }
      }
      for (ServiceKey k : ix.byHost.keySet()) {
        if (sc.allows(k, wns)) {
          scope.add(k);
        }
      }
    }
    TreeSet<PolicyIndex.Entry> picked = new TreeSet<>(Comparator.comparingInt(PolicyIndex.Entry::position));
    for (ServiceKey k : scope) {
      for (PolicyIndex.Entry e : ix.byHost.getOrDefault(k, List.of())) {
        if (e.visibleIn(wns)) {
          picked.add(e);
        }
      }
    }
    for (PolicyIndex.Entry e : ix.wildcardHosted) {
      if (e.visibleIn(wns)) {
        picked.add(e);
      }
    }
    // a route's destinations are reachable too (istiod adds VirtualService destinations to a Sidecar's scope)
    Set<ServiceKey> services = new LinkedHashSet<>(scope);
    for (PolicyIndex.Entry e : List.copyOf(picked)) {
      services.addAll(e.destinations());
    }
    for (ServiceKey k : services) {
      if (!scope.contains(k)) {
        for (PolicyIndex.Entry e : ix.byHost.getOrDefault(k, List.of())) {
          if (e.kind().equals("DestinationRule") && e.visibleIn(wns)) {
            picked.add(e);
          }
        }
      }
    }
    // mTLS of the destinations' namespaces decides how to call them; authorization is this workload's own
    Set<String> namespaces = new LinkedHashSet<>(List.of(wns, PolicyIndex.ROOT_NAMESPACE));
    for (ServiceKey k : services) {
      if (!k.isExternal()) {
        namespaces.add(k.namespace());
      }
    }
    for (String ns : namespaces) {
      picked.addAll(ix.peerAuthByNamespace.getOrDefault(ns, List.of()));
    }
    picked.addAll(ix.authzByNamespace.getOrDefault(wns, List.of()));
    picked.addAll(ix.authzByNamespace.getOrDefault(PolicyIndex.ROOT_NAMESPACE, List.of()));
    picked.addAll(ix.everywhere);
    PolicyIndex.Entry sidecarEntry = ix.sidecarTrees.get(sc.ref());
    if (sidecarEntry != null) {
      picked.add(sidecarEntry);
    }
    List<Map<String, Object>> res = new ArrayList<>(picked.size());
    for (PolicyIndex.Entry e : picked) {
      res.add(e.tree());
    }
    List<ServiceKey> ordered = new ArrayList<>(services);
    ordered.sort(SERVICE_ORDER);
    Map<ServiceKey, List<Endpoint>> endpoints = new LinkedHashMap<>();
    for (ServiceKey k : ordered) {
      List<Endpoint> eps = registry.endpointsOf(k);
      if (!eps.isEmpty()) {
        endpoints.put(k, eps);
      }
    }
    return new Content(Set.copyOf(services), res, endpoints);
  }

  /**
   * A view's snapshot from the encoded bytes of its resources, each encoded once per policy
   * change and shared by every view that carries it (a namespace-wide edit re-encodes every
   * view: before, each re-serialized and re-sorted the same resource trees, ~0.6 ms per view).
   */
  private Snapshot encode(Content c) {
    int count = c.endpoints().values().stream().mapToInt(List::size).sum();
    long g = generation;
    List<byte[]> canonical = new ArrayList<>(c.resources().size());
    List<byte[]> wire = new ArrayList<>(c.resources().size());
    for (Map<String, Object> tree : c.resources()) {
      byte[][] b = encodedResources.computeIfAbsent(tree, t -> new byte[][] {SnapshotService.canonical(t), JsonTrees.write(t)});
      canonical.add(b[0]);
      wire.add(b[1]);
    }
    List<byte[]> canonicalServices = new ArrayList<>(c.endpoints().size());
    List<byte[]> wireServices = new ArrayList<>(c.endpoints().size());
    for (Map.Entry<ServiceKey, List<Endpoint>> e : c.endpoints().entrySet()) {
      EncodedService es = encodedServices.get(e.getKey());
      if (es == null || !es.endpoints().equals(e.getValue())) {
        es = EncodedService.of(e.getKey(), e.getValue());
        encodedServices.put(e.getKey(), es);
      }
      canonicalServices.add(es.canonical());
      wireServices.add(es.wire());
    }
    String version = SnapshotService.versionOfEncoded(canonical, canonicalServices);
    return new Snapshot(version, g, wireBytes(version, g, wire, wireServices), count);
  }

  /** One service's entry of "services", encoded for the endpoints it was encoded from. */
  record EncodedService(List<Endpoint> endpoints, byte[] canonical, byte[] wire) {
    @SuppressWarnings("unchecked")
    static EncodedService of(ServiceKey key, List<Endpoint> endpoints) {
      Object entry = ((List<Object>) SnapshotCodec.toTree("", 0, List.of(), Map.of(key, endpoints)).get("services")).get(0);
      return new EncodedService(endpoints, SnapshotService.canonical(entry), JsonTrees.write(entry));
    }
  }

  /** {@code {"version","generation","resources","services"}}, as SnapshotCodec writes it, from encoded parts. */
  static byte[] wireBytes(String version, long generation, List<byte[]> resources, List<byte[]> servicesParts) {
    int servicesSize = 2 + Math.max(0, servicesParts.size() - 1);
    for (byte[] b : servicesParts) {
      servicesSize += b.length;
    }
    java.nio.ByteBuffer sb = java.nio.ByteBuffer.allocate(servicesSize);
    sb.put((byte) '[');
    for (int i = 0; i < servicesParts.size(); i++) {
      if (i > 0) {
        sb.put((byte) ',');
      }
      sb.put(servicesParts.get(i));
    }
    sb.put((byte) ']');
    byte[] services = sb.array();
    byte[] head = ("{\"version\":\"" + version + "\",\"generation\":" + generation + ",\"resources\":[")
        .getBytes(StandardCharsets.UTF_8);
    byte[] mid = "],\"services\":".getBytes(StandardCharsets.UTF_8);
    int size = head.length + mid.length + services.length + 1 + Math.max(0, resources.size() - 1);
    for (byte[] r : resources) {
      size += r.length;
    }
    java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(size);
    out.put(head);
    for (int i = 0; i < resources.size(); i++) {
      if (i > 0) {
        out.put((byte) ',');
      }
      out.put(resources.get(i));
    }
    out.put(mid).put(services).put((byte) '}');
    return out.array();
  }
}
