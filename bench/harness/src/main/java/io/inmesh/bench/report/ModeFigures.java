package io.inmesh.bench.report;

import io.inmesh.bench.measure.BenchResults;
import io.inmesh.bench.proc.Proc;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * One mode's figures for one pair, aggregated over rounds: each a {@link Spread}. "Added" figures
 * are differences to the baseline of the same round, so drift between rounds cancels.
 */
public final class ModeFigures {
  public final String pair;
  public final String mode;
  public final List<BenchResults.Round> rounds;
  public final Spread lightP50;
  public final Spread lightP99;
  public final Spread addedP50;
  public final Spread addedP99;
  /** Fixed-rate (open loop) percentiles minus the baseline's of the same round. */
  public final Spread addedFixedP50;
  public final Spread addedFixedP99;
  public final Spread addedFixedP999;
  /** The mode's control plane (inmesh modes; empty otherwise): CPU per data-path request, CPU ms per second, RSS. */
  public final Spread controlPlaneCpu;
  public final Spread controlPlaneCpuMsPerSecond;
  public final Spread controlPlaneRssMb;
  /** Data-path CPU plus the control plane's, per request. */
  public final Spread cpuWithControlPlane;
  public final int agents;
  /** The baseline's rounds (for paired per-round figures). */
  final List<BenchResults.Round> baselineRounds;
  public final Spread fixedP50;
  public final Spread fixedP99;
  public final Spread fixedP999;
  public final Spread fixedServiceP50;
  public final Spread saturation;
  public final Spread cpu;
  public final Spread addedCpu;
  public final Spread saturationCpu;
  public final Spread generatorCpu;
  public final Map<String, Spread> cpuByRole = new LinkedHashMap<>();
  public final Map<String, Spread> rssMbByRole = new LinkedHashMap<>();
  public final Map<String, Spread> rssAnonMbByRole = new LinkedHashMap<>();
  public final Map<String, Spread> rssFileMbByRole = new LinkedHashMap<>();
  public final Spread rssPerJvmMb;
  public final Spread addedRssPerJvmMb;
  public final long errors;
  public final long non2xx;
  public final String firstError;

  public ModeFigures(String pair, String mode, List<BenchResults.Round> rounds, List<BenchResults.Round> baseline) {
    this.pair = pair;
    this.mode = mode;
    this.rounds = rounds;
    lightP50 = of(rounds, r -> r.light().p50());
    lightP99 = of(rounds, r -> r.light().p99());
    fixedP50 = of(rounds, r -> r.fixed().p50());
    fixedP99 = of(rounds, r -> r.fixed().p99());
    fixedP999 = of(rounds, r -> r.fixed().p999());
    fixedServiceP50 = of(rounds, r -> r.fixedServiceTime().p50());
    saturation = of(rounds, BenchResults.Round::saturationRps);
    cpu = of(rounds, BenchResults.Round::cpuPerRequest);
    saturationCpu = of(rounds, BenchResults.Round::saturationCpuPerRequest);
    generatorCpu = of(rounds, BenchResults.Round::generatorCpuPerRequest);
    addedP50 = diff(rounds, baseline, r -> r.light().p50());
    addedP99 = diff(rounds, baseline, r -> r.light().p99());
    addedCpu = diff(rounds, baseline, BenchResults.Round::cpuPerRequest);
    addedFixedP50 = diff(rounds, baseline, r -> r.fixed().p50());
    addedFixedP99 = diff(rounds, baseline, r -> r.fixed().p99());
    addedFixedP999 = diff(rounds, baseline, r -> r.fixed().p999());
    controlPlaneCpu = of(rounds, BenchResults.Round::controlPlaneCpuPerRequest);
    controlPlaneCpuMsPerSecond = of(rounds, BenchResults.Round::controlPlaneCpuMillisPerSecond);
    controlPlaneRssMb = of(rounds, r -> r.controlPlaneRssKb() > 0 ? r.controlPlaneRssKb() / 1024.0 : Double.NaN);
    cpuWithControlPlane = of(rounds, r -> r.cpuPerRequest() + (Double.isNaN(r.controlPlaneCpuPerRequest()) ? 0 : r.controlPlaneCpuPerRequest()));
    agents = rounds.stream().mapToInt(BenchResults.Round::agents).max().orElse(0);
    baselineRounds = baseline;
    rssPerJvmMb = of(rounds, ModeFigures::rssPerJvmMb);
    addedRssPerJvmMb = diff(rounds, baseline, ModeFigures::rssPerJvmMb);
    for (Proc.Role role : Proc.Role.values()) {
      if (!role.dataPath) {
        continue;
      }
      List<Double> c = new ArrayList<>();
      List<Double> m = new ArrayList<>();
      for (BenchResults.Round r : rounds) {
        Double v = r.cpuPerRequestByRole().get(role.label);
        if (v != null) {
          c.add(v);
        }
        Long kb = r.rssKbByRole().get(role.label);
        if (kb != null && kb >= 0) {
          m.add(kb / 1024.0);
        }
      }
      if (!c.isEmpty()) {
        cpuByRole.put(role.label, Spread.of(c));
      }
      if (!m.isEmpty()) {
        rssMbByRole.put(role.label, Spread.of(m));
      }
      List<Double> anon = new ArrayList<>();
      List<Double> file = new ArrayList<>();
      for (BenchResults.Round r : rounds) {
        if (r.rssAnonKbByRole() == null || r.rssFileKbByRole() == null) {
          continue;
        }
        Long a = r.rssAnonKbByRole().get(role.label);
        Long f = r.rssFileKbByRole().get(role.label);
        if (a != null && a >= 0 && f != null && f >= 0) {
          anon.add(a / 1024.0);
          file.add(f / 1024.0);
        }
      }
      if (!anon.isEmpty()) {
        rssAnonMbByRole.put(role.label, Spread.of(anon));
        rssFileMbByRole.put(role.label, Spread.of(file));
      }
    }
    errors = rounds.stream().mapToLong(BenchResults.Round::fixedErrors).sum() + rounds.stream().mapToLong(BenchResults.Round::saturationErrors).sum();
    non2xx = rounds.stream().mapToLong(BenchResults.Round::fixedNon2xx).sum();
    firstError = rounds.stream().map(BenchResults.Round::firstError).filter(e -> e != null).findFirst().orElse(null);
  }

  /** Mean RSS of the mode's two application JVMs, MB. */
  static double rssPerJvmMb(BenchResults.Round r) {
    Long f = r.rssKbByRole().get(Proc.Role.FRONTEND.label);
    Long b = r.rssKbByRole().get(Proc.Role.BACKEND.label);
    if (f == null || b == null || f < 0 || b < 0) {
      return Double.NaN;
    }
    return (f + b) / 2.0 / 1024.0;
  }

  /** Per round: this mode's value minus {@code other}'s of the same round (other's baseline cancels too). */
  public List<Double> perRoundMinus(ModeFigures other, ToDoubleFunction<BenchResults.Round> f) {
    List<Double> d = new ArrayList<>();
    for (BenchResults.Round r : rounds) {
      for (BenchResults.Round o : other.rounds) {
        if (o.round() == r.round()) {
          d.add(f.applyAsDouble(r) - f.applyAsDouble(o));
        }
      }
    }
    return d;
  }

  /** Per round: this mode's value minus the baseline's of the same round. */
  public List<Double> perRoundAdded(ToDoubleFunction<BenchResults.Round> f) {
    List<Double> d = new ArrayList<>();
    for (BenchResults.Round r : rounds) {
      for (BenchResults.Round b : baselineRounds) {
        if (b.round() == r.round()) {
          d.add(f.applyAsDouble(r) - f.applyAsDouble(b));
        }
      }
    }
    return d;
  }

  /** Per round: this mode's value ÷ {@code other}'s value of the same round, each as given by {@code f}. */
  public Spread pairedRatio(ModeFigures other, ToDoubleFunction<BenchResults.Round> f) {
    List<Double> d = new ArrayList<>();
    for (BenchResults.Round r : rounds) {
      for (BenchResults.Round o : other.rounds) {
        if (o.round() == r.round()) {
          d.add(f.applyAsDouble(r) / f.applyAsDouble(o));
        }
      }
    }
    return Spread.of(d);
  }

  /** Per round: (this mode's − baseline) ÷ (other's − baseline), all of the same round. */
  public Spread pairedAddedRatio(ModeFigures other, ToDoubleFunction<BenchResults.Round> f) {
    List<Double> mine = perRoundAdded(f);
    List<Double> theirs = other.perRoundAdded(f);
    List<Double> d = new ArrayList<>();
    for (int i = 0; i < Math.min(mine.size(), theirs.size()); i++) {
      d.add(mine.get(i) / theirs.get(i));
    }
    return Spread.of(d);
  }

  private static Spread of(List<BenchResults.Round> rounds, ToDoubleFunction<BenchResults.Round> f) {
    return Spread.of(rounds.stream().map(r -> f.applyAsDouble(r)).toList());
  }

  private static Spread diff(List<BenchResults.Round> rounds, List<BenchResults.Round> baseline, ToDoubleFunction<BenchResults.Round> f) {
    List<Double> d = new ArrayList<>();
    for (BenchResults.Round r : rounds) {
      for (BenchResults.Round b : baseline) {
        if (b.round() == r.round()) {
          d.add(f.applyAsDouble(r) - f.applyAsDouble(b));
        }
      }
    }
    return Spread.of(d);
  }

  /** Figures of every mode of {@code pair} that has rounds, in the order the modes ran. */
  public static Map<String, ModeFigures> forPair(BenchResults results, String pair, List<String> modeOrder) {
    Map<String, ModeFigures> out = new LinkedHashMap<>();
    List<BenchResults.Round> base = results.rounds.stream().filter(r -> r.pair().equals(pair) && r.mode().equals("baseline")).toList();
    for (String mode : modeOrder) {
      List<BenchResults.Round> rs = results.rounds.stream().filter(r -> r.pair().equals(pair) && r.mode().equals(mode)).toList();
      if (!rs.isEmpty()) {
        out.put(mode, new ModeFigures(pair, mode, rs, base));
      }
    }
    return out;
  }
}
