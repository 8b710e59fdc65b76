package io.inmesh.bench.scale;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How long one change took to reach every agent it affects: from just before the change was made
 * to the moment each affected agent's control loop delivered a snapshot carrying it; and, for the
 * share that is the control plane's, from the change to its last answer carrying it written
 * ({@code controlMs}, the worst repetition; -1 when unknown); and how busy the simulator's and the
 * control plane's cores were from the change to its last agent (cores, the busiest repetition; -1
 * when not measured).
 */
record Propagation(
    String what, int affected, int reached, double p50Ms, double p99Ms, double maxMs, long controlMs,
    double simulatorBusy, double controlBusy) {

  /** Merges repetitions of one kind of change: percentiles over every agent of every repetition. */
  static Propagation merge(
      String what, List<Long> latenciesNanos, int affected, long controlMs, double simulatorBusy, double controlBusy) {
    long[] sorted = latenciesNanos.stream().mapToLong(Long::longValue).sorted().toArray();
    return new Propagation(
        what, affected, sorted.length, percentile(sorted, 50), percentile(sorted, 99), percentile(sorted, 100), controlMs,
        simulatorBusy, controlBusy);
  }

  /** Nearest-rank percentile, in milliseconds; NaN for no samples. */
  static double percentile(long[] sortedNanos, double p) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sortedNanos.length);
    return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank - 1))] / 1e6;
  }

  Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("what", what);
    m.put("affectedAgents", affected);
    m.put("reached", reached);
    m.put("p50Ms", round(p50Ms));
    m.put("p99Ms", round(p99Ms));
    m.put("maxMs", round(maxMs));
    m.put("controlPlaneLastAnswerMs", controlMs);
    m.put("simulatorCoresBusyUntilLastAgent", round(simulatorBusy * 100) / 100);
    m.put("controlPlaneCoresBusyUntilLastAgent", round(controlBusy * 100) / 100);
    return m;
  }

  static double round(double d) {
    return Double.isNaN(d) ? -1 : Math.round(d * 10) / 10.0;
  }
}
