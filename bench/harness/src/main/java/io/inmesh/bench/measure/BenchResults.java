package io.inmesh.bench.measure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Everything one run measured, as plain records (written to raw/results.json, read by the report). */
public final class BenchResults {
  public String startedAt;
  public String finishedAt;
  public double wallSeconds;
  public boolean quick;
  /** Seed of the per-round shuffle of the mode order. */
  public long seed;
  public String loadAverageAtStart;
  public String loadAverageAtEnd;
  public Map<String, Object> settings = new LinkedHashMap<>();
  public Map<String, String> machine = new LinkedHashMap<>();
  public List<String> commands = new ArrayList<>();
  public Map<String, String> skipped = new LinkedHashMap<>();
  public List<String> notes = new ArrayList<>();
  public List<Round> rounds = new ArrayList<>();
  public List<Warmup> warmups = new ArrayList<>();
  public List<Startup> startups = new ArrayList<>();
  /** Frontend started against a running backend: ms from its process start to the first response routed to the backend (through the mesh for inmesh). */
  public List<Startup> firstMeshedCalls = new ArrayList<>();
  public List<SetStart> setStarts = new ArrayList<>();
  public List<Nmt> nmt = new ArrayList<>();
  public List<PolicyEdit> policyEdits = new ArrayList<>();
  public List<ClassLoad> classLoads = new ArrayList<>();
  public Map<String, Double> phaseSeconds = new LinkedHashMap<>();

  /** Latency percentiles in microseconds. */
  public record Latency(double p50, double p90, double p99, double p999, double max, long count) {
    public static Latency of(Histogram h) {
      if (h.getTotalCount() == 0) {
        return new Latency(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
      }
      return new Latency(
          h.getValueAtPercentile(50) / 1000.0,
          h.getValueAtPercentile(90) / 1000.0,
          h.getValueAtPercentile(99) / 1000.0,
          h.getValueAtPercentile(99.9) / 1000.0,
          h.getMaxValue() / 1000.0,
          h.getTotalCount());
    }
  }

  /**
   * One measured round of one mode. CPU in µs per request, memory in kB. {@code position} is the
   * mode's place in the round's shuffled order (1 = first). The control plane (inmesh modes) is
   * off the data path: its CPU and RSS are kept apart, never in {@code cpuPerRequest}.
   */
  public record Round(
      String pair,
      String mode,
      int round,
      int position,
      Latency light,
      Latency fixed,
      Latency fixedServiceTime,
      double offeredRate,
      double achievedRate,
      long fixedErrors,
      long fixedNon2xx,
      double saturationRps,
      long saturationErrors,
      Map<String, Double> cpuPerRequestByRole,
      double cpuPerRequest,
      double saturationCpuPerRequest,
      Map<String, Long> rssKbByRole,
      Map<String, Long> rssAnonKbByRole,
      Map<String, Long> rssFileKbByRole,
      double generatorCpuPerRequest,
      String firstError,
      double controlPlaneCpuPerRequest,
      double controlPlaneCpuMillisPerSecond,
      long controlPlaneRssKb,
      int agents,
      /** TLS connections the hop's server side accepted per second of the fixed-rate window (NaN: no TLS on the hop; null: a run from before it was measured). */
      Double tlsHandshakesPerSecond) {

    /** {@link #tlsHandshakesPerSecond}, NaN when not measured. */
    public double tlsPerSecond() {
      return tlsHandshakesPerSecond == null ? Double.NaN : tlsHandshakesPerSecond;
    }
  }

  /** The warm-up of one mode: its slices at the fixed rate, whether the steady-state check passed, and after how long. */
  public record Warmup(String pair, String mode, double sliceSeconds, double rate, List<Latency> slices, Latency whole, long errors, boolean steady, double seconds) {}

  public record Startup(String app, String variant, int round, double millis) {}

  public record SetStart(String pair, String mode, double backendMillis, double frontendMillis) {}

  public record Nmt(String pair, String mode, String role, Map<String, Long> committedKb) {}

  /**
   * One route edit, made {@code idleBeforeMillis} after the previous one settled (a random pause,
   * so edits fall at random moments of the control plane's file scan): ms from the atomic rewrite
   * of the VirtualService to the end of the first call that took the new route ({@code toSubset}).
   */
  public record PolicyEdit(String pair, int n, double millis, boolean enforced, double idleBeforeMillis, String toSubset, int callsBefore) {}

  /** -Xlog:class+load of one start of an app's backend: classes loaded, by where from, milestones, and when main ran. */
  public record ClassLoad(
      String app,
      String variant,
      int total,
      int beforeMain,
      Map<String, Integer> bySource,
      Map<String, Double> milestones,
      double mainClassLoadedAtMillis,
      double firstServedMillis,
      double inmeshPremainMillis) {}
}
