package io.inmesh.bench.scale;

import java.util.List;
import java.util.Locale;

/**
 * How spread out a fleet's reconnects after one control-plane restart were: each agent's offset
 * from the restart (the moment the new control plane accepts connections) to its first successful
 * exchange with it, summarised as min/p10/p50/p90/max, the fullest 50 ms bucket (a fixed grid from the restart)
 * and the most reconnects inside any 50 ms window (sliding, so a burst that straddles a bucket
 * boundary still counts as one burst).
 *
 * <p>Lockstep, and the threshold asserted: agents without jitter in their backoff lose the control
 * plane at the same instant (every held poll breaks when it dies), sleep the same delays, and so
 * come back in one burst, which the restarted control plane answers within a few tens of
 * milliseconds: nearly the whole fleet inside one 50 ms window. With decorrelated jitter the
 * reconnects spread over the backoff window (hundreds of milliseconds to seconds), and a 50 ms
 * window holds a few agents. {@link #LOCKSTEP_SHARE}: a restart is "in lockstep" when more than a
 * quarter of the agents that came back did so inside one 50 ms window. A quarter is well above what
 * jitter gives at 100 agents (7 to 15 of 100 in the runs measured) and far below a burst (nearly all), so it
 * cannot flap either way on a loaded machine.
 */
record FlapSpread(
    int reconnected, double minMs, double p10Ms, double p50Ms, double p90Ms, double maxMs, int fullestBucket,
    int densestWindow) {

  static final long BUCKET_NANOS = 50_000_000L;
  /** More than this share of the agents that came back, inside one 50 ms window: lockstep. */
  static final double LOCKSTEP_SHARE = 0.25;
  /** Below this many reconnects a restart says nothing about lockstep (a few agents always can coincide). */
  static final int MIN_RECONNECTS_JUDGED = 10;

  /** @param offsetsNanos each reconnected agent's time from the restart (negative when the agent got through before the prober, which tries every 5 ms, noticed: by a few ms, or more when the prober thread was held up on a loaded machine) */
  static FlapSpread of(List<Long> offsetsNanos) {
    long[] s = offsetsNanos.stream().mapToLong(Long::longValue).sorted().toArray();
    if (s.length == 0) {
      return new FlapSpread(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0);
    }
    return new FlapSpread(
        s.length, s[0] / 1e6, Propagation.percentile(s, 10), Propagation.percentile(s, 50), Propagation.percentile(s, 90),
        s[s.length - 1] / 1e6, fullestBucket(s), densestWindow(s, BUCKET_NANOS));
  }

  /** The most offsets in one 50 ms bucket of the grid that starts at the restart. */
  static int fullestBucket(long[] sorted) {
    int best = 0;
    int run = 0;
    long bucket = Long.MIN_VALUE;
    for (long t : sorted) {
      long b = Math.floorDiv(t, BUCKET_NANOS);
      run = b == bucket ? run + 1 : 1;
      bucket = b;
      best = Math.max(best, run);
    }
    return best;
  }

  /** The most offsets inside any window of {@code widthNanos} (two pointers over the sorted offsets). */
  static int densestWindow(long[] sorted, long widthNanos) {
    int best = 0;
    int from = 0;
    for (int to = 0; to < sorted.length; to++) {
      while (sorted[to] - sorted[from] >= widthNanos) {
        from++;
      }
      best = Math.max(best, to - from + 1);
    }
    return best;
  }

  /** Too many agents inside one 50 ms window (see the class comment); never with fewer than 10 reconnects. */
  boolean lockstep() {
    return reconnected >= MIN_RECONNECTS_JUDGED && densestWindow > LOCKSTEP_SHARE * reconnected;
  }

  String line() {
    return String.format(
        Locale.ROOT,
        "%3d back, first exchange after the restart: min %5.0f  p10 %5.0f  p50 %5.0f  p90 %5.0f  max %5.0f ms;"
            + " fullest 50 ms bucket %2d, densest 50 ms window %2d",
        reconnected, minMs, p10Ms, p50Ms, p90Ms, maxMs, fullestBucket, densestWindow);
  }
}
