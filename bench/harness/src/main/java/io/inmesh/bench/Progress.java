package io.inmesh.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Progress lines with elapsed time and an ETA: the run is planned as steps with estimated
 * durations; the ETA is the planned remainder, scaled by how far actual time has run from plan.
 * Every line also goes to raw/console.log.
 */
public final class Progress {
  private final double plannedTotal;
  private final long start = System.nanoTime();
  private final PrintStream console;
  private final Path logFile;
  private double plannedDone;
  private double currentPlanned;

  public Progress(double plannedTotalSeconds, PrintStream console, Path logFile) {
    this.plannedTotal = plannedTotalSeconds;
    this.console = console;
    this.logFile = logFile;
  }

  /** Starts a step (finishing the previous one) and prints it. */
  public synchronized void step(String what, double plannedSeconds) {
    plannedDone += currentPlanned;
    currentPlanned = plannedSeconds;
    double elapsed = elapsedSeconds();
    double remainingPlan = Math.max(0, plannedTotal - plannedDone);
    // most steps have fixed lengths (load windows); only process starts vary, so the pace
    // correction is kept mild
    double pace = plannedDone < 60 ? 1.0 : Math.min(1.5, Math.max(0.85, elapsed / plannedDone));
    line(String.format("[%s elapsed | ETA %s] %s", clock(elapsed), clock(remainingPlan * pace), what));
  }

  /** A line without a step (a result or a warning). */
  public synchronized void note(String text) {
    line("    " + text);
  }

  public double elapsedSeconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  private void line(String s) {
    console.println(s);
    console.flush();
    try {
      Files.writeString(logFile, s + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException ignored) {
      // the console has it
    }
  }

  public static String clock(double seconds) {
    long s = Math.round(seconds);
    return String.format("%d:%02d", s / 60, s % 60);
  }
}
