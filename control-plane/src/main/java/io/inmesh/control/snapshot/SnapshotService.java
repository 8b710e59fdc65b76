package io.inmesh.control.snapshot;

import io.inmesh.control.Sha256;
import io.inmesh.control.poll.PollChannel;
import io.inmesh.policy.compile.Endpoint;
import io.inmesh.policy.compile.ServiceKey;
import io.inmesh.policy.snapshot.SnapshotCodec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Versions the whole-mesh snapshot ({@code GET /v1/snapshot}) and publishes it to the polls held
 * on its channel.
 *
 * <p>The version is a hash of the content (policy resources and registry, canonically encoded),
 * not a counter, so identical content has the identical version on every control plane and across
 * restarts, and an agent that already runs it is not sent it again. The generation counts version
 * changes, for humans.
 *
 * <p>The whole-mesh snapshot grows with the fleet (every endpoint of every service), so it is not
 * rebuilt on every registry change: a change {@linkplain #markDirty() marks} it, and it is rebuilt
 * by the debounced rebuild when somebody holds a poll on it, or on demand when read.
 */
public final class SnapshotService implements AutoCloseable {

  /** A change bounces a waiter back to the loop; this many in one poll means versions are flapping. */
  private static final int MAX_WAKEUPS = 1000;

  private final Supplier<List<Map<String, Object>>> resources;
  private final Supplier<Map<ServiceKey, List<Endpoint>>> services;
  private final String restoredVersion;
  private final long restoredGeneration;
  private final CompletableFuture<Void> warm = new CompletableFuture<>();
  private final PollChannel channel;
  private volatile BiConsumer<PollChannel, Snapshot> publisher = (c, s) -> {};
  private volatile Published published;
  private volatile boolean dirty;
  private volatile boolean closed;

  private record Published(Snapshot snapshot, CompletableFuture<Snapshot> next) {}

  /** What {@link #refresh()} did. */
  public record Refresh(Snapshot snapshot, boolean changed) {}

  /**
   * @param restoredVersion the version a previous run last published (null if none), so that the
   *     generation continues from there instead of starting over
   * @param warmup how long polls that carry a version are held (zero: not at all)
   */
  public SnapshotService(
      Supplier<List<Map<String, Object>>> resources,
      Supplier<Map<ServiceKey, List<Endpoint>>> services,
      String restoredVersion,
      long restoredGeneration,
      Duration warmup) {
    this.resources = resources;
    this.services = services;
    this.restoredVersion = restoredVersion;
    this.restoredGeneration = Math.max(0, restoredGeneration);
    if (warmup.isZero() || warmup.isNegative()) {
      warm.complete(null);
    } else {
      warm.completeOnTimeout(null, warmup.toMillis(), TimeUnit.MILLISECONDS);
    }
    refresh();
    channel = new PollChannel(published.snapshot(), !warm.isDone());
  }

  /** Who answers the polls held on the channel when a snapshot is published. */
  public void publisher(BiConsumer<PollChannel, Snapshot> p) {
    this.publisher = p;
  }

  /** The channel {@code GET /v1/snapshot} polls are held on. */
  public PollChannel channel() {
    return channel;
  }

  /** The registry moved: rebuild before the next read, or in the next debounced rebuild. */
  public void markDirty() {
    dirty = true;
  }

  /** Rebuilds if marked dirty and somebody is waiting for a change (the debounced rebuild calls this). */
  public Refresh refreshIfWatched() {
    if (dirty && channel.heldCount() > 0) {
      return refresh();
    }
    return new Refresh(published.snapshot(), false);
  }

  /** Recomputes the snapshot from policy and registry; publishes it if its version moved. */
  public synchronized Refresh refresh() {
    dirty = false;
    List<Map<String, Object>> res = resources.get();
    Map<ServiceKey, List<Endpoint>> svc = services.get();
    String version = versionOf(res, svc);
    Published prev = published;
    if (prev != null && prev.snapshot().version().equals(version)) {
      return new Refresh(prev.snapshot(), false);
    }
    long generation;
    if (prev != null) {
      generation = prev.snapshot().generation() + 1;
    } else {
      generation = version.equals(restoredVersion) ? Math.max(1, restoredGeneration) : restoredGeneration + 1;
    }
    int endpoints = svc.values().stream().mapToInt(List::size).sum();
    Snapshot next =
        new Snapshot(version, generation, SnapshotCodec.encode(version, generation, res, svc), endpoints);
    published = new Published(next, new CompletableFuture<>());
    if (prev != null) {
      prev.next().complete(next);
    }
    if (channel != null) {
      publisher.accept(channel, next);
    }
    return new Refresh(next, true);
  }

  /** The current snapshot, rebuilt first if the registry moved since. */
  public Snapshot current() {
    if (dirty) {
      refresh();
    }
    return published.snapshot();
  }

  /** The last published snapshot, without rebuilding (versions and generations for listings). */
  public Snapshot lastPublished() {
    return published.snapshot();
  }

  public boolean warmingUp() {
    return !warm.isDone();
  }

  /** Runs once the warm-up is over (at once if there is none). */
  public void whenWarm(Runnable action) {
    warm.thenRun(action);
  }

  /**
   * Blocks until a snapshot whose version differs from {@code knownVersion} exists (at once if the
   * current one does), or returns null when {@code wait} elapses first. The API holds polls on
   * {@link #channel()} instead, without a thread; this is for in-process callers.
   *
   * @param knownVersion the version the agent runs; null for an agent that has none
   */
  public Snapshot await(String knownVersion, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    if (knownVersion != null && !warm.isDone()) {
      if (!waitFor(warm, deadline)) {
        return null;
      }
    }
    for (int i = 0; i < MAX_WAKEUPS; i++) {
      Snapshot s = current();
      Published p = published;
      if (knownVersion == null || !s.version().equals(knownVersion)) {
        return s;
      }
      if (closed || !waitFor(p.next(), deadline)) {
        return null;
      }
    }
    return null;
  }

  /** Wakes every in-process waiter (answered "unchanged") so that the server can stop. */
  @Override
  public void close() {
    closed = true;
    warm.complete(null);
    published.next().complete(published.snapshot());
  }

  private static boolean waitFor(CompletableFuture<?> f, long deadlineNanos) throws InterruptedException {
    long remaining = deadlineNanos - System.nanoTime();
    if (remaining <= 0) {
      return f.isDone();
    }
    try {
      f.get(remaining, TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true;
    }
  }

  /** The canonical bytes of one tree (keys sorted): a resource's part of {@link #versionOf}. */
  public static byte[] canonical(Object tree) {
    return CanonicalJson.encode(tree);
  }

  /**
   * The same version as {@link #versionOf}, from each resource's {@linkplain
   * #canonical canonical bytes}, and each service's (its entry of "services"), computed once and
   * shared by every view that carries them: the
   * canonical JSON of {@code {"resources":[…],"services":[…]}} is those bytes joined (keys sorted:
   * "resources" before "services"), so it is hashed without building or sorting it again.
   */
  public static String versionOfEncoded(List<byte[]> canonicalResources, List<byte[]> canonicalServices) {
    java.security.MessageDigest md;
    try {
      md = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    md.update(RESOURCES_OPEN);
    for (int i = 0; i < canonicalResources.size(); i++) {
      if (i > 0) {
        md.update((byte) ',');
      }
      md.update(canonicalResources.get(i));
    }
    md.update(SERVICES_OPEN);
    md.update((byte) '[');
    for (int i = 0; i < canonicalServices.size(); i++) {
      if (i > 0) {
        md.update((byte) ',');
      }
      md.update(canonicalServices.get(i));
    }
    md.update((byte) ']');
    md.update((byte) '}');
    return java.util.HexFormat.of().formatHex(md.digest()).substring(0, 16);
  }

  private static final byte[] RESOURCES_OPEN = "{\"resources\":[".getBytes(java.nio.charset.StandardCharsets.UTF_8);
  private static final byte[] SERVICES_OPEN = "],\"services\":".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  public static String versionOf(List<Map<String, Object>> res, Map<ServiceKey, List<Endpoint>> svc) {
    Map<String, Object> content = new LinkedHashMap<>(SnapshotCodec.toTree("", 0, res, svc));
    content.remove("version");
    content.remove("generation");
    return Sha256.hex(CanonicalJson.encode(content)).substring(0, 16);
  }
}
