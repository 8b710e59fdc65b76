package io.inmesh.control;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.function.Consumer;

/**
 * The control plane's log: one line per event, timestamped {@code HH:mm:ss.SSS}. Operators read it
 * (and tests grep it), so every line stands alone: no multi-line stack traces for expected
 * conditions.
 */
public final class EventLog {

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

  private final Consumer<String> sink;

  public EventLog(Consumer<String> sink) {
    this.sink = sink;
  }

  public static EventLog to(PrintStream out) {
    return new EventLog(
        line -> {
          // one println per line, so concurrent threads never interleave within a line
          synchronized (out) {
            out.println(line);
            out.flush();
          }
        });
  }

  /** A timestamped event line. */
  public void info(String message) {
    sink.accept(LocalTime.now().format(TIME) + " " + message);
  }

  /** A line without timestamp, for the start banner that scripts wait for. */
  public void banner(String message) {
    sink.accept(message);
  }
}
