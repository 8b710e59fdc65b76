package io.inmesh.bench.mode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * How one application of a pair is started, as data: a jar (run with {@code -java -jar}, or put on
 * the class path with a main class), JVM flags of its own, and argument templates in which {@code
 * {address}}, {@code {port}} and {@code {backend}} (the URL a frontend calls) are filled in.
 */
public record AppLaunch(Function<BenchPaths, Path> jar, String mainClass, List<String> flags, List<String> argTemplates) {

  /** {@code java <flags> -cp <jar> <mainClass> <args>}. */
  public static AppLaunch classpath(Function<BenchPaths, Path> jar, String mainClass, List<String> flags, String... args) {
    return new AppLaunch(jar, mainClass, flags, List.of(args));
  }

  /** {@code java <flags> -jar <jar> <args>}. */
  public static AppLaunch executableJar(Function<BenchPaths, Path> jar, String... args) {
    return new AppLaunch(jar, null, List.of(), List.of(args));
  }

  /** The arguments after {@code java <common JVM flags>}. */
  public List<String> args(BenchPaths paths, String address, int port, String backendUrl) {
    List<String> a = new ArrayList<>(flags);
    if (mainClass != null) {
      a.addAll(List.of("-cp", jar.apply(paths).toString(), mainClass));
    } else {
      a.addAll(List.of("-jar", jar.apply(paths).toString()));
    }
    for (String t : argTemplates) {
      if (t.contains("{backend}") && backendUrl == null) {
        throw new IllegalArgumentException("a backend URL is needed for " + t);
      }
      a.add(t.replace("{address}", address).replace("{port}", Integer.toString(port)).replace("{backend}", backendUrl == null ? "" : backendUrl));
    }
    return a;
  }
}
