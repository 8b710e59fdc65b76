package io.inmesh.control.snapshot;

import io.inmesh.control.Sha256;
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
import java.util.function.Supplier;

/**
 * Versions the snapshot and wakes long-polls when it changes.
 *
 * <p>The version is a hash of the content (policy resources and registry, canonically encoded),
 * not a counter, so identical content has the identical version on every control plane and across
 * restarts, and an agent that already runs it is not sent it again. The generation counts version
 * changes, for humans.
 *
 * <p>Each published snapshot carries a future that completes when the next one is published; a
 * held poll blocks on it, so a change reaches every waiter as soon as it is published, with no
 * polling.
 */
public final class SnapshotService implements AutoCloseable {

  /** A change bounces a waiter back to the loop; this many in one poll means versions are flapping. */
  private static final int MAX_WAKEUPS = 1000;

  private final Supplier<List<Map<String, Object>>> resources;
  private final Supplier<Map<ServiceKey, List<Endpoint>>> services;
  private final String restoredVersion;
  private final long restoredGeneration;
  private final CompletableFuture<Void> warm = new CompletableFuture<>();
  private volatile Published published;
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
  }

  /** Recomputes the snapshot from policy and registry; publishes it if its version moved. */
  public synchronized Refresh refresh() {
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
    return new Refresh(next, true);
  }

  public Snapshot current() {
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
   * Answers a poll: a snapshot whose version differs from {@code knownVersion} (at once if the
   * current one does), or null when {@code wait} elapses first.
   *
   * @param knownVersion the version the agent runs; null for an agent that has none
   */
  public Snapshot await(String knownVersion, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    if (knownVersion != null && !warm.isDone()) {
      // an agent that runs a snapshot can keep running it a moment longer; an agent served a
      // registry that its peers have not re-registered into yet would drop their endpoints
      if (!waitFor(warm, deadline)) {
        return null;
      }
    }
    for (int i = 0; i < MAX_WAKEUPS; i++) {
      Published p = published;
      if (knownVersion == null || !p.snapshot().version().equals(knownVersion)) {
        return p.snapshot();
      }
      if (closed || !waitFor(p.next(), deadline)) {
        return null;
      }
    }
    return null;
  }

  /** Wakes every held poll (answered "unchanged") so that the server can stop. */
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

  static String versionOf(List<Map<String, Object>> res, Map<ServiceKey, List<Endpoint>> svc) {
    Map<String, Object> content = new LinkedHashMap<>(SnapshotCodec.toTree("", 0, res, svc));
    content.remove("version");
    content.remove("generation");
    return Sha256.hex(CanonicalJson.encode(content)).substring(0, 16);
  }
}
