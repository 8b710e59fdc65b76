package io.inmesh.agent.lifecycle;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counters of the call lifecycle, for {@code /stats}. */
public final class CallStats {
  final LongAdder calls = new LongAdder();
  final LongAdder attempts = new LongAdder();
  final LongAdder retries = new LongAdder();
  final LongAdder retryOverflow = new LongAdder();
  final LongAdder retriesSkippedOwnedAbove = new LongAdder();
  final LongAdder retriesSkippedMarked = new LongAdder();
  final LongAdder retriesSkippedBody = new LongAdder();
  final LongAdder mirrored = new LongAdder();
  final LongAdder mirrorDropped = new LongAdder();
  final LongAdder mirrorFailed = new LongAdder();
  private final Map<ResponseFlag, LongAdder> flags = new EnumMap<>(ResponseFlag.class);

  public CallStats() {
    for (ResponseFlag f : ResponseFlag.values()) {
      flags.put(f, new LongAdder());
    }
  }

  void flag(ResponseFlag f) {
    flags.get(f).increment();
  }

  /** Counts a local answer by its reason, when the reason is a flag. */
  void flag(String reason) {
    try {
      flag(ResponseFlag.valueOf(reason));
    } catch (IllegalArgumentException | NullPointerException notAFlag) {
      // e.g. a direct response's own reason
    }
  }

  public long flagCount(ResponseFlag f) {
    return flags.get(f).sum();
  }

  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("calls", calls.sum());
    m.put("attempts", attempts.sum());
    m.put("retries", retries.sum());
    m.put("retryOverflow", retryOverflow.sum());
    m.put("retriesLeftToTheApplication", retriesSkippedOwnedAbove.sum());
    m.put("retriesSkippedExhaustedBelow", retriesSkippedMarked.sum());
    m.put("retriesSkippedBodyNotReplayable", retriesSkippedBody.sum());
    Map<String, Long> f = new LinkedHashMap<>();
    flags.forEach((k, v) -> f.put(k.name(), v.sum()));
    m.put("responseFlags", f);
    Map<String, Long> mir = new LinkedHashMap<>();
    mir.put("sent", mirrored.sum());
    mir.put("dropped", mirrorDropped.sum());
    mir.put("failed", mirrorFailed.sum());
    m.put("mirror", mir);
    return m;
  }
}
