package io.inmesh.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Entry point of bench/run: parses the options, runs, prints where the report is. */
public final class BenchMain {
  private BenchMain() {}

  /** The arguments the user gave bench/run (without the ones bench/run adds itself). */
  static List<String> userArguments(String[] args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--root") || args[i].equals("--java") || args[i].equals("--pin-cpu")) {
        i++;
      } else {
        out.add(args[i]);
      }
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    BenchOptions opts;
    try {
      opts = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Path report;
    if (opts.reportOnly != null) {
      try {
        report = io.inmesh.bench.report.ReportOutputs.rewrite(opts.reportOnly);
      } catch (java.io.IOException e) {
        System.err.println(e.getMessage());
        System.exit(2);
        return;
      }
    } else {
      report = new BenchRun(opts).run(userArguments(args));
    }
    System.out.println();
    System.out.println("report: " + report);
    System.exit(0);
  }
}
