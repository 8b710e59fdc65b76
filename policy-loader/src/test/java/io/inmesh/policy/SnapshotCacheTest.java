package io.inmesh.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.policy.snapshot.SnapshotCache;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotCacheTest {

  @Test
  void concurrentWritersNeverLeaveATornFileForReaders(@TempDir Path dir) throws Exception {
    // Several JVMs of one service share INMESH_CACHE_DIR; writers here stand in for them.
    List<String> payloads = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      payloads.add("{\"version\":\"v" + i + "\",\"pad\":\"" + "x".repeat(200_000 + i * 1000) + "\"}");
    }
    AtomicBoolean stop = new AtomicBoolean();
    Set<String> problems = ConcurrentHashMap.newKeySet();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      byte[] mine = payloads.get(w).getBytes(StandardCharsets.UTF_8);
      SnapshotCache cache = new SnapshotCache(dir);
      threads.add(new Thread(() -> {
        for (int i = 0; i < 60 && !stop.get(); i++) {
          cache.write(mine);
        }
      }));
    }
    threads.add(new Thread(() -> {
      SnapshotCache cache = new SnapshotCache(dir);
      for (int i = 0; i < 400; i++) {
        byte[] b = cache.read();
        if (b != null && !payloads.contains(new String(b, StandardCharsets.UTF_8))) {
          problems.add("torn read of " + b.length + " bytes");
        }
      }
    }));
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(60_000);
    }
    stop.set(true);
    assertThat(problems).isEmpty();
    assertThat(payloads).contains(new String(new SnapshotCache(dir).read(), StandardCharsets.UTF_8));
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("snapshot.json"); // no temp files left
    }
  }

  @Test
  void anUnwritableDirectoryIsReportedNotThrown(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
    new SnapshotCache(file.resolve("sub")).write("{}".getBytes(StandardCharsets.UTF_8));
    assertThat(new SnapshotCache(file.resolve("sub")).read()).isNull();
  }

  /** A delivered snapshot is written behind: a newer one within the delay replaces it; a stop writes what waits. */
  @Test
  void snapshotsAreWrittenBehind_theNewestOfABurstOnce_andAFlushWritesWhatWaits(@TempDir Path dir) throws Exception {
    SnapshotCache cache = new SnapshotCache(dir);
    long t0 = 1_000_000_000L;
    long delay = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(SnapshotCache.WRITE_BEHIND_MILLIS);
    assertThat(cache.nanosUntilDue(t0)).as("nothing pending").isEqualTo(-1);
    assertThat(cache.offer(bytes("{\"version\":\"a\"}"), t0)).as("the first pending").isTrue();
    assertThat(cache.offer(bytes("{\"version\":\"b\"}"), t0 + delay / 2)).as("replaces it, same due time").isFalse();
    assertThat(cache.nanosUntilDue(t0 + delay / 2)).isEqualTo(delay - delay / 2);
    cache.writeIfDue(t0 + delay - 1);
    assertThat(cache.read()).as("not due yet").isNull();
    cache.writeIfDue(t0 + delay);
    assertThat(new String(cache.read(), StandardCharsets.UTF_8)).isEqualTo("{\"version\":\"b\"}");
    assertThat(cache.writes()).as("one write for the burst").isEqualTo(1);
    assertThat(cache.nanosUntilDue(t0 + delay)).isEqualTo(-1);
    cache.writeIfDue(t0 + 10 * delay);
    assertThat(cache.writes()).as("nothing pending, nothing written").isEqualTo(1);

    assertThat(cache.offer(bytes("{\"version\":\"c\"}"), t0 + 10 * delay)).isTrue();
    cache.flush();
    assertThat(new String(cache.read(), StandardCharsets.UTF_8)).isEqualTo("{\"version\":\"c\"}");
    assertThat(cache.writes()).isEqualTo(2);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("snapshot.json");
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
