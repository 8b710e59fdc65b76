package io.inmesh.control.poll;

import io.inmesh.control.api.HttpCall;
import io.inmesh.control.snapshot.Snapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
  /** Answers handed to the handler pool and not yet written: the wave still to go out. */
  private final AtomicInteger answering = new AtomicInteger();
  private volatile boolean closed;
  /** The last {@link Wave}: when it began, how many answers, how long until the last went out. */
  private volatile long waveStartNanos;
  private volatile boolean waveOpen;
  private volatile long lastWaveMillis = -1;
  private volatile long lastWaveEndedEpochMillis;
  private volatile int lastWaveAnswers;
  /** Completed when the open wave's last answer is written (completed while none is open). */
  private volatile CompletableFuture<Void> waveOut = CompletableFuture.completedFuture(null);

  /**
   * A wave of at least this many answers spreads the next polls of the agents it answers ({@code
   * -Dinmesh.control.repollSpreadFrom}; a test sets it low).
   */
  static final int REPOLL_SPREAD_FROM = Integer.getInteger("inmesh.control.repollSpreadFrom", 1_000);
  /** Per answer still to go out, an answered agent may wait this long before its next poll. */
  static final long REPOLL_SPREAD_MICROS_PER_ANSWER = 200;
  /** The spread never exceeds this: a later change reaches an agent that waits at most this much later. */
  static final long REPOLL_SPREAD_MAX_MILLIS = 2_000;

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

  /**
   * The last rebuild's answers: how many, the milliseconds from the rebuild's start to its last
   * answer written (-1: none yet), and when that was (epoch milliseconds).
   */
  public Map<String, Object> lastWave() {
    return Map.of("answers", lastWaveAnswers, "millis", lastWaveMillis, "endedEpochMillis", lastWaveEndedEpochMillis);
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

  /**
   * A rebuild's publications, announced before the first (its size known up front, from the polls
   * held on the views it may change), so that {@link #repollWithinMillis} counts the whole wave
   * from its first answer while each view is still answered as soon as it is computed.
   */
  public final class Wave {
    private final int expected;
    private int woken;

    private Wave(int expected) {
      this.expected = expected;
    }

    /** Answers every poll held on {@code channel} with {@code next}, as part of this wave. */
    public void publish(PollChannel channel, Snapshot next) {
      List<HeldPoll> polls = channel.publish(next);
      woken += polls.size();
      dispatch(polls, next);
    }

    /** The wave is out: what was announced but not woken (views that did not change) is no longer counted. */
    public void end() {
      lastWaveAnswers = woken;
      closeWaveIfDone(answering.addAndGet(woken - expected)); // every answer may have gone out already
    }
  }

  private void closeWaveIfDone(int left) {
    if (left <= 0 && waveOpen) {
      waveOpen = false;
      lastWaveMillis = (System.nanoTime() - waveStartNanos) / 1_000_000;
      lastWaveEndedEpochMillis = System.currentTimeMillis();
      waveOut.complete(null);
    }
  }

  /**
   * Waits, at most {@code millis}, until the open wave's last answer is written: work that can come
   * after it (the whole-mesh snapshot) does not take the core the answers need.
   */
  public void awaitWaveOut(long millis) {
    try {
      waveOut.get(millis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // a slow wave: go on beside it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Starts a wave of at most {@code expected} answers (the polls held on the channels it may publish). */
  public Wave wave(int expected) {
    waveStartNanos = System.nanoTime();
    CompletableFuture<Void> previous = waveOut;
    waveOut = expected > 0 ? new CompletableFuture<>() : CompletableFuture.completedFuture(null);
    previous.complete(null); // whoever waited on a wave this one replaces stops waiting
    waveOpen = expected > 0;
    answering.addAndGet(expected);
    return new Wave(expected);
  }

  /**
   * How long an agent answered now may wait before its next poll ({@code X-Inmesh-Repoll-Within}),
   * 0 for "at once". While a large wave of answers is still going out (10,000 agents given a
   * namespace-wide edit), the next polls of the agents answered first (each carrying its ack) would
   * take the core those still waiting need; spread over a time proportional to what is left, they
   * come back after it. The agents answered last come back at once: nobody waits behind them.
   */
  public long repollWithinMillis() {
    int left = answering.get(); // an estimate: a wave counts what it announced until it ends
    if (left < REPOLL_SPREAD_FROM) {
      return 0;
    }
    return Math.min(REPOLL_SPREAD_MAX_MILLIS, Math.max(1, left * REPOLL_SPREAD_MICROS_PER_ANSWER / 1_000));
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
    answering.addAndGet(polls.size());
    dispatch(polls, next);
  }

  /** Answers {@code polls} on the handler pool; {@link #answering} already counts them. */
  private void dispatch(List<HeldPoll> polls, Snapshot next) {
    if (polls.isEmpty()) {
      return;
    }
    Runnable all =
        () -> {
          for (HeldPoll p : polls) {
            try {
              p.answer(next);
            } finally {
              closeWaveIfDone(answering.decrementAndGet());
            }
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
