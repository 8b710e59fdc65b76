package io.inmesh.policy.snapshot;

import io.inmesh.policy.files.AtomicFiles;
import io.inmesh.policy.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The last-known-good snapshot on disk, so an application started while the control plane is down
 * routes as it did before. Several JVMs of one service share the directory: writes are atomic
 * replaces ({@link AtomicFiles}), so a reader sees the old file or the new one, never a torn one.
 *
 * <p>Snapshots are written behind ({@link #offer}): a delivered snapshot waits {@link
 * #WRITE_BEHIND_MILLIS} and a newer one delivered meanwhile replaces it, so the control loop acks
 * and polls again without touching the disk, and a burst of snapshots (endpoints churning) costs one
 * write. Nothing is forced to disk: a reader validates what it reads and ignores a file a power loss
 * left empty, and the next snapshot replaces it. A JVM killed within the delay leaves the snapshot
 * before; a graceful stop writes the pending one ({@link #flush}).
 */
public final class SnapshotCache {
  /** How long a delivered snapshot waits to be written. */
  public static final long WRITE_BEHIND_MILLIS = 1_000;

  private final Path dir;
  private final Path file;
  private final Object writing = new Object();
  private final LongAdder writes = new LongAdder();
  private byte[] pending; // guarded by this
  private long dueNanos; // guarded by this

  public SnapshotCache(Path dir) {
    this.dir = dir;
    this.file = dir.resolve("snapshot.json");
  }

  public Path file() {
    return file;
  }

  /** The cached snapshot, or null when there is none (or it cannot be read). */
  public byte[] read() {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      Log.once(Log.Level.WARN, "cache-read", "cannot read the snapshot cache " + file + ": " + e.getMessage());
      return null;
    }
  }

  /**
   * Keeps {@code json} to be written {@link #WRITE_BEHIND_MILLIS} after the first snapshot still
   * unwritten (a newer one replaces it without moving that time, so churn cannot postpone the write).
   *
   * @return true when nothing was pending before: whoever writes should look at {@link #nanosUntilDue}
   */
  public synchronized boolean offer(byte[] json, long nowNanos) {
    boolean first = pending == null;
    if (first) {
      dueNanos = nowNanos + TimeUnit.MILLISECONDS.toNanos(WRITE_BEHIND_MILLIS);
    }
    pending = json;
    return first;
  }

  /** Nanoseconds until the pending snapshot is due (0: now), or -1 when none is pending. */
  public synchronized long nanosUntilDue(long nowNanos) {
    return pending == null ? -1 : Math.max(0, dueNanos - nowNanos);
  }

  /** Writes the pending snapshot if it is due. */
  public void writeIfDue(long nowNanos) {
    writePending(false, nowNanos);
  }

  /** Writes the pending snapshot now, if there is one (a graceful stop). */
  public void flush() {
    writePending(true, 0);
  }

  private void writePending(boolean evenIfNotDue, long nowNanos) {
    synchronized (writing) { // one writer at a time: a pending snapshot taken later is renamed later
      byte[] json;
      synchronized (this) {
        if (pending == null || (!evenIfNotDue && dueNanos - nowNanos > 0)) {
          return;
        }
        json = pending;
        pending = null;
      }
      write(json);
    }
  }

  /** Snapshots written to disk so far. */
  public long writes() {
    return writes.sum();
  }

  /** Writes {@code json} now, whatever is pending. */
  public void write(byte[] json) {
    try {
      AtomicFiles.write(file, json, false);
      writes.increment();
      Log.clear("cache-write");
    } catch (IOException | RuntimeException e) {
      Log.once(
          Log.Level.WARN,
          "cache-write",
          "cannot write the snapshot cache in " + dir + " (" + e + "); set INMESH_CACHE_DIR to a writable directory");
    }
  }
}
