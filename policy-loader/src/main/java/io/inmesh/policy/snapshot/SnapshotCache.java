package io.inmesh.policy.snapshot;

import io.inmesh.policy.files.AtomicFiles;
import io.inmesh.policy.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The last-known-good snapshot on disk, so an application started while the control plane is down
 * routes as it did before. Several JVMs of one service share the directory: writes are atomic
 * replaces ({@link AtomicFiles}), so a reader sees the old file or the new one, never a torn one.
 */
public final class SnapshotCache {
  private final Path dir;
  private final Path file;

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

  public void write(byte[] json) {
    try {
      AtomicFiles.write(file, json);
      Log.clear("cache-write");
    } catch (IOException | RuntimeException e) {
      Log.once(
          Log.Level.WARN,
          "cache-write",
          "cannot write the snapshot cache in " + dir + " (" + e + "); set INMESH_CACHE_DIR to a writable directory");
    }
  }
}
