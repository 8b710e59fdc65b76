package io.inmesh.control.poll;

import io.inmesh.control.api.HttpCall;
import io.inmesh.control.snapshot.Snapshot;
import java.io.IOException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** A long-poll waiting, without a thread, for its channel to change or its wait to elapse. */
final class HeldPoll {

  private final HttpCall call;
  private final String knownVersion;
  private final HeldPolls.Answer answer;
  private final Consumer<HeldPoll> onDone;
  private final AtomicBoolean done = new AtomicBoolean();
  volatile PollChannel channel;
  volatile ScheduledFuture<?> timeout;

  HeldPoll(HttpCall call, String knownVersion, HeldPolls.Answer answer, Consumer<HeldPoll> onDone) {
    this.call = call;
    this.knownVersion = knownVersion;
    this.answer = answer;
    this.onDone = onDone;
  }

  String knownVersion() {
    return knownVersion;
  }

  /** Answers once; later calls (a timeout racing a publish) do nothing. */
  void answer(Snapshot snapshot) {
    if (!done.compareAndSet(false, true)) {
      return;
    }
    ScheduledFuture<?> t = timeout;
    if (t != null) {
      t.cancel(false);
      timeout = null;
    }
    try {
      answer.send(call, snapshot, knownVersion);
    } catch (IOException | RuntimeException e) {
      // the agent went away while held: nothing to answer
    } finally {
      call.finish();
      onDone.accept(this);
    }
  }
}
