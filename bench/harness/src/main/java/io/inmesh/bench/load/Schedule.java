package io.inmesh.bench.load;

/**
 * The open-loop send schedule: request {@code j} (0-based, over all connections) is intended to
 * leave at {@code start + j / rate}, whatever happened to earlier requests; connection {@code k} of
 * {@code K} sends requests {@code k, k+K, k+2K, ...}. Latency is measured from the intended time, so
 * a stalled response delays the next sends on its connection and that delay is counted (the
 * coordinated-omission correction of wrk2).
 */
public record Schedule(long startNanos, double ratePerSecond, int connections, long totalRequests) {

  public Schedule {
    if (ratePerSecond <= 0 || connections <= 0 || totalRequests < 0) {
      throw new IllegalArgumentException("rate and connections must be positive");
    }
  }

  public static Schedule of(long startNanos, double ratePerSecond, int connections, double seconds) {
    return new Schedule(startNanos, ratePerSecond, connections, Math.round(ratePerSecond * seconds));
  }

  /** Intended send time of request {@code j}. */
  public long intendedNanos(long j) {
    return startNanos + Math.round(j * 1e9 / ratePerSecond);
  }

  /** How many requests connection {@code k} sends. */
  public long countFor(int k) {
    if (k >= totalRequests) {
      return 0;
    }
    return (totalRequests - 1 - k) / connections + 1;
  }

  /** The global index of connection {@code k}'s {@code i}-th request. */
  public long index(int k, long i) {
    return k + i * connections;
  }

  /** When the last request is intended to leave. */
  public long lastIntendedNanos() {
    return totalRequests == 0 ? startNanos : intendedNanos(totalRequests - 1);
  }
}
