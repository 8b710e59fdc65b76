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
  private final Map<ViewKey, View> views = new ConcurrentHashMap<>();
  /** Which views carry a service (exact scopes); wildcard scopes are checked on every change. */
  private final Map<ServiceKey, Set<ViewKey>> viewsByService = new HashMap<>();
  private final Set<ServiceKey> dirtyServices = new HashSet<>();
  private volatile PolicyIndex index;
  private boolean policyDirty;
  private long generation;

  /** One view: its scope, the services it carries, and the channel its agents poll. */
  private static final class View {
    final ViewKey key;
    final SidecarScope sidecar;
    final PollChannel channel;
    Set<ServiceKey> services = Set.of();

    View(ViewKey key, SidecarScope sidecar, PollChannel channel) {
      this.key = key;
      this.sidecar = sidecar;
      this.channel = channel;
    }
  }

  public WorkloadViews(
      Supplier<List<Map<String, Object>>> resources, Registry registry, HeldPolls polls, long generation,
      Supplier<Boolean> warming) {
    this.resources = resources;
    this.registry = registry;
    this.polls = polls;
    this.generation = generation;
    this.warming = warming;
    this.index = PolicyIndex.of(resources.get());
  }

  /** The view an agent is served, or null when no Sidecar scopes it (it gets the whole mesh). */
  public ViewKey keyFor(AgentRecord agent) {
    SidecarScope s = index.sidecarFor(agent.serviceKey().namespace(), agent.registration().labels());
    return s == null ? null : new ViewKey(agent.serviceKey().namespace(), s.ref());
  }

  /** The channel of a view, built on first use. */
  public PollChannel channel(ViewKey key) {
    View v = views.get(key);
    if (v != null) {
      return v.channel;
    }
    synchronized (this) {
      v = views.get(key);
      if (v == null) {
        SidecarScope sc = index.sidecars.get(key.sidecar());
        if (sc == null) {
          return null; // the Sidecar went away since the key was computed: the caller looks again
        }
        v = build(key, sc, null).view();
        views.put(key, v);
      }
      return v.channel;
    }
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
  public synchronized void endpointsChanged(Set<ServiceKey> services) {
    dirtyServices.addAll(services);
  }

  /** Policy changed: every view's scope and resources are recomputed by {@link #rebuild()}. */
  public synchronized void policyChanged() {
    policyDirty = true;
  }

  public synchronized boolean dirty() {
    return policyDirty || !dirtyServices.isEmpty();
  }

  /** Applies what changed since the last rebuild; returns how many views were published. */
  public synchronized int rebuild() {
    if (!policyDirty && dirtyServices.isEmpty()) {
      return 0;
    }
    Set<ViewKey> affected = new LinkedHashSet<>();
    if (policyDirty) {
      index = PolicyIndex.of(resources.get());
      affected.addAll(views.keySet());
    } else {
      for (ServiceKey s : dirtyServices) {
        affected.addAll(viewsByService.getOrDefault(s, Set.of()));
      }
      for (View v : views.values()) {
        if (!v.sidecar.exact() && dirtyServices.stream().anyMatch(s -> v.sidecar.allows(s, v.key.namespace()))) {
          affected.add(v.key);
        }
      }
    }
    policyDirty = false;
    dirtyServices.clear();
    generation++;
    int published = 0;
    for (ViewKey k : affected) {
      View old = views.get(k);
      SidecarScope sc = index.sidecars.get(k.sidecar());
      if (sc == null || !sc.equals(old.sidecar)) {
        // the Sidecar went away or changed: its agents look their view up again
        views.remove(k);
        unindex(old);
        polls.bounce(old.channel);
        if (sc != null) {
          published++;
        }
        continue;
      }
      Snapshot changed = build(k, sc, old).changed();
      if (changed != null) {
        polls.publish(old.channel, changed);
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

  /**
   * Computes a view's content; for a new view (old == null) creates it, else updates old's scope
   * and says what to publish.
   */
  private Built build(ViewKey key, SidecarScope sc, View old) {
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
    String version = SnapshotService.versionOf(res, endpoints);
    View v = old;
    Snapshot changed = null;
    if (v == null) {
      v = new View(key, sc, new PollChannel(encode(version, res, endpoints), warming.get()));
    } else {
      unindex(v);
      if (!v.channel.current().version().equals(version)) {
        changed = encode(version, res, endpoints);
      }
    }
    v.services = Set.copyOf(services);
    if (sc.exact()) {
      for (ServiceKey k : services) {
        viewsByService.computeIfAbsent(k, x -> new HashSet<>()).add(key);
      }
    }
    return new Built(v, changed);
  }

  /** A built view, and its new snapshot when the content moved (null: unchanged). */
  private record Built(View view, Snapshot changed) {}

  private Snapshot encode(String version, List<Map<String, Object>> res, Map<ServiceKey, List<Endpoint>> endpoints) {
    int count = endpoints.values().stream().mapToInt(List::size).sum();
    return new Snapshot(version, generation, SnapshotCodec.encode(version, generation, res, endpoints), count);
  }

  private void unindex(View v) {
    for (ServiceKey k : v.services) {
      Set<ViewKey> keys = viewsByService.get(k);
      if (keys != null) {
        keys.remove(v.key);
        if (keys.isEmpty()) {
          viewsByService.remove(k);
        }
      }
    }
  }
}
