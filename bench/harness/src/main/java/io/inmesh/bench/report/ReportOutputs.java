package io.inmesh.bench.report;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inmesh.bench.measure.BenchResults;
import io.inmesh.bench.mode.AppPair;
import io.inmesh.bench.mode.Mode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** report.md and the PNG charts from a run's results (also from a saved raw/results.json: {@code --report-only DIR}). */
public final class ReportOutputs {
  /** The run's raw results, compact JSON, beside report.md (committed with it). */
  public static final String RESULTS_FILE = "results.json";

  private ReportOutputs() {}

  public static Path write(BenchResults results, Path outDir) throws IOException {
    List<String> order = Arrays.stream(Mode.values()).map(m -> m.id).toList();
    for (AppPair pair : AppPair.values()) {
      Map<String, ModeFigures> figs = ModeFigures.forPair(results, pair.id, order);
      if (figs.isEmpty()) {
        continue;
      }
      String label = pair == AppPair.JDK ? "JDK pair" : "Spring Boot pair";
      String tag = results.quick ? " — quick, not steady state" : "";
      double rate = figs.values().iterator().next().rounds.get(0).offeredRate();
      ChartWriter.latency(outDir.resolve("latency-" + pair.id + ".png"), "Latency per mode, " + label + tag, figs);
      ChartWriter.cpu(outDir.resolve("cpu-" + pair.id + ".png"), String.format("CPU per request per mode, %s (fixed rate %.0f req/s)%s", label, rate, tag), figs,
          ReportWriter.rolesFor(figs));
    }
    return new ReportWriter(results, outDir).write();
  }

  /** Rebuilds the report of an earlier run from {@code outDir/results.json} (and any extra-section files beside it). */
  public static Path rewrite(Path outDir) throws IOException {
    Path file = outDir.resolve(RESULTS_FILE);
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new IOException("--report-only " + outDir + ": no " + RESULTS_FILE + " there (a run writes it beside its report.md)");
    }
    ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    BenchResults results = json.readValue(file.toFile(), BenchResults.class);
    return write(results, outDir);
  }
}
