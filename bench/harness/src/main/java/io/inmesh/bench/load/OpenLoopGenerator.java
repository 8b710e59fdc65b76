package io.inmesh.bench.load;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * A fixed-rate (open-loop) HTTP load generator: {@code connections} threads, each with its own
 * keep-alive connection and its share of a {@link Schedule}; every latency is taken from the
 * request's intended send time, so queueing behind a slow response is counted (coordinated
 * omission corrected). Bounded in count (rate × seconds) and in time (the schedule plus a drain
 * limit, after which unsent requests are dropped and counted as errors).
 */
public final class OpenLoopGenerator {
  /** Sleeps end this much before the intended time and the rest is spun, so timer slack does not add latency. */
  private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(80);

  private final String host;
  private final int port;
  private final String path;
  private final InetAddress localAddress;

  public OpenLoopGenerator(String host, int port, String path, InetAddress localAddress) {
    this.host = host;
    this.port = port;
    this.path = path;
    this.localAddress = localAddress;
  }

  /**
   * Offers {@code rate} requests/s for {@code seconds} over {@code connections} connections.
   * {@code sliceSeconds} > 0 also splits the latencies by intended time into slices of that length.
   */
  public LoadResult run(double rate, double seconds, int connections, double sliceSeconds, double drainSeconds) throws InterruptedException {
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    Schedule schedule = Schedule.of(start, rate, connections, seconds);
    long hardDeadline = schedule.lastIntendedNanos() + (long) (drainSeconds * 1e9);
    int sliceCount = sliceSeconds > 0 ? (int) Math.ceil(seconds / sliceSeconds) : 0;
    long sliceNanos = (long) (sliceSeconds * 1e9);
    List<Worker> workers = new ArrayList<>();
    for (int k = 0; k < connections; k++) {
      Worker w = new Worker(k, schedule, hardDeadline, sliceCount, sliceNanos);
      workers.add(w);
      w.thread.start();
    }
    for (Worker w : workers) {
      long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(hardDeadline - System.nanoTime()) + 2000);
      w.thread.join(waitMillis);
      if (w.thread.isAlive()) {
        w.thread.interrupt();
        w.conn.close();
        w.thread.join(2000);
      }
    }
    long elapsed = System.nanoTime() - start;
    Histogram latency = LoadResult.newHistogram();
    Histogram service = LoadResult.newHistogram();
    List<Histogram> slices = new ArrayList<>();
    for (int s = 0; s < sliceCount; s++) {
      slices.add(LoadResult.newHistogram());
    }
    long ok = 0;
    long non2xx = 0;
    long errors = 0;
    String firstError = null;
    for (Worker w : workers) {
      latency.add(w.latency);
      service.add(w.service);
      for (int s = 0; s < sliceCount; s++) {
        slices.get(s).add(w.slices[s]);
      }
      ok += w.ok;
      non2xx += w.non2xx;
      errors += w.errors;
      if (firstError == null) {
        firstError = w.firstError;
      }
    }
    return new LoadResult(latency, service, slices, ok, non2xx, errors, elapsed, firstError);
  }

  private final class Worker implements Runnable {
    final int k;
    final Schedule schedule;
    final long hardDeadline;
    final long sliceNanos;
    final Histogram latency = LoadResult.newHistogram();
    final Histogram service = LoadResult.newHistogram();
    final Histogram[] slices;
    final HttpConnection conn;
    final Thread thread;
    long ok;
    long non2xx;
    long errors;
    String firstError;

    Worker(int k, Schedule schedule, long hardDeadline, int sliceCount, long sliceNanos) {
      this.k = k;
      this.schedule = schedule;
      this.hardDeadline = hardDeadline;
      this.sliceNanos = sliceNanos;
      this.slices = new Histogram[sliceCount];
      for (int s = 0; s < sliceCount; s++) {
        slices[s] = LoadResult.newHistogram();
      }
      this.conn = new HttpConnection(host, port, path, localAddress, 5000);
      this.thread = new Thread(this, "open-loop-" + k);
      this.thread.setDaemon(true);
    }

    @Override
    public void run() {
      long n = schedule.countFor(k);
      try {
        for (long i = 0; i < n; i++) {
          long intended = schedule.intendedNanos(schedule.index(k, i));
          if (!waitUntil(intended)) {
            errors += n - i;
            note("drain limit reached: " + (n - i) + " requests not sent");
            return;
          }
          long sent = System.nanoTime();
          int status;
          try {
            status = conn.get();
          } catch (IOException e) {
            errors++;
            note(e.toString());
            continue;
          }
          long done = System.nanoTime();
          if (status >= 200 && status < 300) {
            ok++;
          } else {
            non2xx++;
            note("HTTP " + status);
          }
          LoadResult.record(latency, done - intended);
          LoadResult.record(service, done - sent);
          if (slices.length > 0) {
            int s = (int) Math.min(slices.length - 1, (intended - schedule.startNanos()) / sliceNanos);
            LoadResult.record(slices[s], done - intended);
          }
        }
      } finally {
        conn.close();
      }
    }

    private void note(String e) {
      if (firstError == null) {
        firstError = e;
      }
    }

    /** Waits for the intended time; false when the drain limit has passed (stop sending). */
    private boolean waitUntil(long intended) {
      long now = System.nanoTime();
      if (now > hardDeadline || Thread.currentThread().isInterrupted()) {
        return false;
      }
      while (intended - now > SPIN_NANOS) {
        LockSupport.parkNanos(intended - now - SPIN_NANOS);
        now = System.nanoTime();
      }
      while (intended - System.nanoTime() > 0) {
        Thread.onSpinWait();
      }
      return true;
    }
  }
}
