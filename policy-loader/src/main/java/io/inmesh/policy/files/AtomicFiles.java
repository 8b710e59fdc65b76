package io.inmesh.policy.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Whole-file writes that a reader (the policy watcher, the next control plane after a crash, another
 * JVM of the same service reading the last-known-good cache) sees either before or after, never
 * half-written. Concurrent writers each use their own temporary file, so the last rename wins whole.
 */
public final class AtomicFiles {

  private AtomicFiles() {}

  /**
   * Writes to a hidden temp file in the same directory (hidden, so the policy watcher ignores it;
   * same directory, so the move is a rename), forces it to disk, then renames it over the target.
   */
  public static void write(Path target, byte[] content) throws IOException {
    write(target, content, true);
  }

  /**
   * The same; with {@code durable} false nothing is forced to disk: a reader still sees the old file
   * or the new one whole (the rename is atomic), but a power loss may leave the old one, or an empty
   * file, behind. For a file whose reader validates it and can do without it (the snapshot cache):
   * the two forces cost about as much CPU as everything else an agent does with a snapshot.
   */
  public static void write(Path target, byte[] content, boolean durable) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp =
        dir.resolve("." + target.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        if (durable) {
          ch.force(true);
        }
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      if (durable) {
        syncDirectory(dir);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Makes the rename itself durable; not every platform can open a directory, which is fine. */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // best effort: the data itself is already on disk
    }
  }
}
