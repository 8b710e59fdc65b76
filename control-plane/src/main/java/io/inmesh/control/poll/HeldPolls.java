package io.inmesh.control.poll;

import io.inmesh.control.api.HttpCall;
import io.inmesh.control.snapshot.Snapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Holds long-polls without threads: a held poll is a detached call in a {@link PollChannel}, plus
 * a timer that answers "unchanged" when its wait elapses. A publish answers the channel's held
 * polls on the handler pool. The number held at once is bounded (each is an open connection, a
 * file); past the bound the caller sheds the poll.
 */
public final class HeldPolls implements AutoCloseable {

  private final ScheduledExecutorService timers;
  private final Executor answers;
  private final int limit;
  private final AtomicInteger held = new AtomicInteger();
  private volatile boolean closed;

  public HeldPolls(ScheduledExecutorService timers, Executor answers, int limit) {
    this.timers = timers;
    this.answers = answers;
    this.limit = limit;
  }

  /** How a poll is answered: the snapshot (200), or null for "unchanged" (304). */
  @FunctionalInterface
  public interface Answer {
    void send(HttpCall call, Snapshot snapshot, String knownVersion) throws IOException;
  }

  public int held() {
    return held.get();
  }

  public int limit() {
    return limit;
  }

  /** What a poll got. */
  public enum Outcome {
    /** Answered at once (the channel differs from what the agent knows, or it knows nothing). */
    ANSWERED,
    /** Detached and held; answered later. */
    HELD,
    /** At the bound: the caller sheds it (503). */
    FULL
  }

  /**
   * Answers at once if {@code channel} differs from {@code knownVersion}; otherwise holds the call
   * for up to {@code wait}, answering when the channel changes, or with {@code answer.send(call,
   * null, known)} when the wait elapses.
   */
  public Outcome poll(HttpCall call, PollChannel channel, String knownVersion, Duration wait, Answer answer)
      throws IOException {
    HeldPoll p = new HeldPoll(call, knownVersion, answer, done -> held.decrementAndGet());
    if (closed) {
      answer.send(call, null, knownVersion);
      return Outcome.ANSWERED;
    }
    if (knownVersion != null && !wait.isNegative() && !wait.isZero() && held.incrementAndGet() > limit) {
      held.decrementAndGet();
      Snapshot now = channel.current();
      if (!now.version().equals(knownVersion) && !channel.warming()) {
        answer.send(call, now, knownVersion); // a change costs nothing to hand over: only holding is shed
        return Outcome.ANSWERED;
      }
      return Outcome.FULL;
    }
    if (knownVersion == null || wait.isNegative() || wait.isZero()) {
      Snapshot now = channel.current();
      answer.send(call, knownVersion != null && now.version().equals(knownVersion) ? null : now, knownVersion);
      return Outcome.ANSWERED;
    }
    Snapshot now = channel.holdUnlessChanged(p);
    if (now != null) {
      held.decrementAndGet();
      answer.send(call, now, knownVersion);
      return Outcome.ANSWERED;
    }
    call.detach();
    p.channel = channel;
    try {
      p.timeout =
          timers.schedule(
              () -> {
                if (channel.release(p)) {
                  p.answer(null);
                }
              },
              wait.toNanos(),
              TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // shutting down: close() answers everything held
    }
    return Outcome.HELD;
  }

  /** Answers every poll held on {@code channel} with {@code next} (on the handler pool). */
  public void publish(PollChannel channel, Snapshot next) {
    wake(channel.publish(next), next);
  }

  /** The warm-up is over: polls held on {@code channel} by agents that run another version are answered. */
  public void warmed(PollChannel channel) {
    wake(channel.warmed(), channel.current());
  }

  /** Answers every poll held on {@code channel} "unchanged": they come back and look again. */
  public void bounce(PollChannel channel) {
    wake(channel.releaseAll(), null);
  }

  /**
   * Answers a channel's held polls as one task: a namespace-wide edit publishes every view at
   * once, and one task per view (not per poll) keeps 10,000 answers from flooding the queue that
   * incoming calls wait in (there, a full queue closes connections: the acks and next polls of the
   * very agents being answered). Each answer writes the view's shared bytes without copying.
   */
  private void wake(List<HeldPoll> polls, Snapshot next) {
    if (polls.isEmpty()) {
      return;
    }
    Runnable all =
        () -> {
          for (HeldPoll p : polls) {
            p.answer(next);
          }
        };
    try {
      answers.execute(all);
    } catch (RejectedExecutionException e) {
      all.run();
    }
  }

  /** Stops holding: later polls are answered at once. Held ones are answered by their channel's owner. */
  @Override
  public void close() {
    closed = true;
  }
}
