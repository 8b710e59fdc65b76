package io.inmesh.smoke;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * OkHttp on a plain application's class path: the jars of one OkHttp line (with its own okio and
 * Kotlin), copied by the build into target/okhttp4 and target/okhttp5. 4.12 and 5.x share the
 * {@code okhttp3} packages, so a class path holds one of them.
 */
final class OkHttpJars {
  private OkHttpJars() {}

  /** The jars of OkHttp {@code major} (4 or 5), joined as a class path. */
  static String classPath(int major) {
    Path dir = Smoke.ROOT.resolve("smoke-tests/target/okhttp" + major);
    try (Stream<Path> jars = Files.list(dir)) {
      String cp = jars.filter(p -> p.toString().endsWith(".jar")).sorted().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
      if (cp.isEmpty()) {
        throw new IllegalStateException("no jars in " + dir + " (built by smoke-tests' maven-dependency-plugin)");
      }
      return cp;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code plainApp}'s command with OkHttp {@code major} on the application's class path. */
  static List<String> with(int major, List<String> plainApp) {
    List<String> cmd = new ArrayList<>(plainApp);
    int cp = cmd.indexOf("-cp") + 1;
    cmd.set(cp, cmd.get(cp) + File.pathSeparator + classPath(major));
    return cmd;
  }

  /**
   * OkHttp 4.12 on the class path and 5.x beside it: the task caller's {@code okhttp5} clients load
   * it in a class loader of their own (apps/tasks/OkHttpCalls), so one JVM runs both.
   */
  static List<String> withBoth(List<String> plainApp) {
    List<String> cmd = with(4, plainApp);
    cmd.add(0, "-Dtasks.okhttp5.classpath=" + classPath(5));
    return cmd;
  }
}
