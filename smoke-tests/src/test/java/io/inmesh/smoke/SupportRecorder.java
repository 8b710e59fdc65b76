package io.inmesh.smoke;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.AnnotatedElement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Records every {@link Shows}-annotated test's outcome into {@code
 * smoke-tests/target/support/<java label>.tsv} (registered for every test through the Jupiter
 * extension autodetection of {@code junit-platform.properties}). The file is emptied when this
 * class loads, once per test JVM, so a run's records are that run's alone.
 */
public final class SupportRecorder implements TestWatcher {

  static final Path DIR = Smoke.ROOT.resolve("smoke-tests/target/support");

  static {
    try {
      Files.createDirectories(DIR);
      Files.deleteIfExists(file(Smoke.LABEL));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path file(String label) {
    return DIR.resolve(label + ".tsv");
  }

  /** One outcome: a test showed (or failed to show) {@code feature} for {@code library}. */
  record Outcome(String feature, String library, boolean passed, String source) {
    String line() {
      return feature + "\t" + library + "\t" + (passed ? "PASS" : "FAIL") + "\t" + source;
    }

    static Outcome parse(String line) {
      String[] f = line.split("\t", 4);
      return new Outcome(f[0], f[1], f[2].equals("PASS"), f.length > 3 ? f[3] : "");
    }
  }

  /** Records an outcome a test computed itself (one cell of the client × server matrix, say). */
  static synchronized void record(String feature, String library, boolean passed, String source) {
    SupportTable.requireKnown(feature, library, source);
    try {
      Files.writeString(
          file(Smoke.LABEL),
          new Outcome(feature, library, passed, source).line() + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Outcome> read(String label) throws IOException {
    Path f = file(label);
    List<Outcome> out = new ArrayList<>();
    if (Files.exists(f)) {
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          out.add(Outcome.parse(line));
        }
      }
    }
    return out;
  }

  @Override
  public void testSuccessful(ExtensionContext context) {
    recordAll(context, true);
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    recordAll(context, false);
  }

  @Override
  public void testAborted(ExtensionContext context, Throwable cause) {
    recordAll(context, false); // an assumption that did not hold showed nothing
  }

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {
    recordAll(context, false);
  }

  private static void recordAll(ExtensionContext context, boolean passed) {
    String source = context.getRequiredTestClass().getSimpleName() + "#" + context.getRequiredTestMethod().getName();
    List<Shows> shows = new ArrayList<>(annotations(context.getRequiredTestClass()));
    shows.addAll(annotations(context.getRequiredTestMethod()));
    for (Shows s : shows) {
      for (String library : s.value()) {
        record(s.feature(), library, passed, source);
      }
    }
  }

  private static List<Shows> annotations(AnnotatedElement e) {
    return AnnotationSupport.findRepeatableAnnotations(e, Shows.class);
  }
}
