package io.inmesh.control.poll;

import io.inmesh.control.snapshot.Snapshot;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One published snapshot (its bytes shared by every agent it is served to) and the long-polls
 * held until it changes. Publishing swaps the snapshot and answers every held poll with it.
 */
public final class PollChannel {

  private Snapshot current;
  private final Set<HeldPoll> held = new LinkedHashSet<>();
  private boolean warming;

  /**
   * @param warming hold every poll that carries a version until {@link HeldPolls#warmed} (after a
   *     start that restored no registry, running agents re-register before anyone is served a
   *     registry without them)
   */
  public PollChannel(Snapshot initial, boolean warming) {
    this.current = initial;
    this.warming = warming;
  }

  public synchronized Snapshot current() {
    return current;
  }

  public synchronized boolean warming() {
    return warming;
  }

  public synchronized int heldCount() {
    return held.size();
  }

  /** Swaps in {@code next}; the polls held here are returned for the caller to answer (outside the lock). */
  synchronized List<HeldPoll> publish(Snapshot next) {
    current = next;
    if (warming) {
      return List.of(); // held through the warm-up whatever changes; warmed() answers them
    }
    List<HeldPoll> woken = new ArrayList<>(held);
    held.clear();
    return woken;
  }

  /** Holds {@code poll} unless the snapshot already differs from what it knows; then returns the snapshot. */
  synchronized Snapshot holdUnlessChanged(HeldPoll poll) {
    if (!warming && (poll.knownVersion() == null || !current.version().equals(poll.knownVersion()))) {
      return current;
    }
    held.add(poll);
    return null;
  }

  /** Warm-up over: returns the held polls whose agents run another version, to be answered now. */
  synchronized List<HeldPoll> warmed() {
    warming = false;
    List<HeldPoll> stale = new ArrayList<>();
    held.removeIf(
        p -> {
          if (!current.version().equals(p.knownVersion())) {
            stale.add(p);
            return true;
          }
          return false;
        });
    return stale;
  }

  synchronized boolean release(HeldPoll poll) {
    return held.remove(poll);
  }

  synchronized List<HeldPoll> releaseAll() {
    List<HeldPoll> all = new ArrayList<>(held);
    held.clear();
    return all;
  }
}
