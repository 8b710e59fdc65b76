package io.inmesh.agent.snapshot;

import io.inmesh.agent.log.Log;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The last-known-good snapshot on disk, so an application started while the control plane is down
 * routes as it did before. Several JVMs of one service share the directory: each write goes to a
 * private temporary file, is forced to disk, then atomically renamed over the cache, so a reader
 * sees the old file or the new one, never a torn one.
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
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = dir.resolve(".snapshot." + ProcessHandle.current().pid() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(json);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
      Log.clear("cache-write");
    } catch (IOException | RuntimeException e) {
      Log.once(
          Log.Level.WARN,
          "cache-write",
          "cannot write the snapshot cache in " + dir + " (" + e.getMessage() + "); set INMESH_CACHE_DIR to a writable directory");
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }
}
