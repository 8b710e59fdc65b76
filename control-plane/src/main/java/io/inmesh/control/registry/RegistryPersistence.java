package io.inmesh.control.registry;

import io.inmesh.control.EventLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Writes the registry file shortly after changes: a burst of registrations (every agent
 * re-registering after a restart) becomes one write, and a change is on disk within the debounce
 * delay, so a control plane that is killed loses at most that much. A large registry takes a while
 * to write, so writes are also spaced by ten times the last write's duration: saving never takes
 * more than about a tenth of the control plane's time, whatever the fleet's size and churn.
 *
 * <p>Between saves, every registration is appended to the journal as it happens
 * ({@link RegistryFile}): a control plane killed before its next save (SIGKILL, flapping) still
 * restores every agent that registered. Heartbeats and acks are not journaled, and an ack alone
 * asks for no save (a restart gives every agent a fresh TTL, and agents ack again).
 */
public final class RegistryPersistence {

  public static final long DEBOUNCE_MILLIS = 100;
  /** A write's duration times this is the least time to the next one. */
  static final int SPACING_FACTOR = 10;
  /** ... but a change is never more than this late on disk. */
  static final long MAX_DELAY_MILLIS = 5_000;

  private final RegistryFile file;
  private final Supplier<RegistryFile.Saved> state;
  private final ScheduledExecutorService scheduler;
  private final EventLog log;
  private final AtomicBoolean pending = new AtomicBoolean();
  private volatile boolean failing;
  private volatile long lastWriteMillis;
  /** Guards the journal: appends, and its rotation together with the capture of the state saved. */
  private final Object journalLock = new Object();
  private FileChannel journal;
  private boolean journalFailing;

  public RegistryPersistence(
      RegistryFile file, Supplier<RegistryFile.Saved> state, ScheduledExecutorService scheduler, EventLog log) {
    this.file = file;
    this.state = state;
    this.scheduler = scheduler;
    this.log = log;
  }

  /** Schedules a write unless one is already due. */
  public void requestSave() {
    requestSave(DEBOUNCE_MILLIS);
  }

  /** Schedules a write at least {@code minDelayMillis} from now unless one is already due. */
  public void requestSave(long minDelayMillis) {
    schedule(Math.min(MAX_DELAY_MILLIS, Math.max(minDelayMillis, SPACING_FACTOR * lastWriteMillis)));
  }

  private void schedule(long delay) {
    if (pending.compareAndSet(false, true)) {
      try {
        scheduler.schedule(this::flush, delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        pending.set(false); // shutting down: close() flushes
      }
    }
  }

  /** Appends a registration to the journal at once (one write call; no fsync: it outlives a kill, not a power cut). */
  public void journal(AgentRecord record) {
    append(RegistryFile.journalLine(record));
  }

  /**
   * Appends a graceful deregistration, so a control plane killed before its next save does not bring
   * back (until a TTL later) an endpoint whose JVM said goodbye.
   */
  public void journalDeregistration(String agent) {
    append(RegistryFile.deregistrationLine(agent));
  }

  private void append(byte[] line) {
    synchronized (journalLock) {
      try {
        if (journal == null) {
          journal = FileChannel.open(file.journal(), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        ByteBuffer b = ByteBuffer.wrap(line);
        while (b.hasRemaining()) {
          journal.write(b);
        }
        journalFailing = false;
      } catch (IOException | RuntimeException e) {
        closeJournal();
        if (!journalFailing) {
          journalFailing = true;
          log.info("cannot append to " + file.journal() + ": " + e + " (registrations are saved with the registry only)");
        }
      }
    }
  }

  private void closeJournal() {
    if (journal != null) {
      try {
        journal.close();
      } catch (IOException ignored) {
        // nothing more to lose
      }
      journal = null;
    }
  }

  /** Writes now (the debounced task, and shutdown). */
  public synchronized void flush() {
    pending.set(false);
    long start = System.nanoTime();
    try {
      RegistryFile.Saved saved;
      synchronized (journalLock) {
        // what is captured here is in the save; what registers after it goes to a new journal
        saved = state.get();
        closeJournal();
        if (Files.exists(file.journal())) {
          if (Files.exists(file.oldJournal())) {
            // a previous save failed: keep both until one succeeds
            byte[] newer = Files.readAllBytes(file.journal());
            Files.write(file.oldJournal(), newer, StandardOpenOption.APPEND);
            Files.delete(file.journal());
          } else {
            Files.move(file.journal(), file.oldJournal(), StandardCopyOption.ATOMIC_MOVE);
          }
        }
      }
      file.save(saved);
      Files.deleteIfExists(file.oldJournal());
      lastWriteMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      if (failing) {
        failing = false;
        log.info("registry saved to " + file.path() + " again");
      }
    } catch (IOException | RuntimeException e) {
      // log once per failure streak: a full disk must not flood the log every change
      if (!failing) {
        failing = true;
        log.info("cannot save registry to " + file.path() + ": " + e + " (a restart would lose agents until they re-register)");
      }
    }
  }
}
