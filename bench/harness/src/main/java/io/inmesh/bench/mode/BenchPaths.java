package io.inmesh.bench.mode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Where the jars and tools the run needs are. */
public record BenchPaths(Path root, Path java, Path jcmd, Path jarDir) {
  /** The jars a run uses, as built in the repository. */
  public static final List<String> BUILT =
      List.of(
          "agent/target/inmesh-agent.jar",
          "control-plane/target/inmesh-control.jar",
          "bench/harness/target/opentelemetry-javaagent-2.31.1.jar",
          "bench/harness/target/inmesh-bench.jar",
          "examples/pedido-service/target/pedido-service.jar",
          "examples/usuario-service/target/usuario-service.jar",
          "bench/floor-agent/target/inmesh-bb-floor-agent.jar");

  private Path jar(String repoPath) {
    Path built = root.resolve(repoPath);
    return jarDir == null ? built : jarDir.resolve(built.getFileName());
  }

  public Path inmeshAgent() {
    return jar(BUILT.get(0));
  }

  public Path controlPlaneJar() {
    return jar(BUILT.get(1));
  }

  public Path otelAgent() {
    return jar(BUILT.get(2));
  }

  public Path benchJar() {
    return jar(BUILT.get(3));
  }

  public Path pedidoJar() {
    return jar(BUILT.get(4));
  }

  public Path usuarioJar() {
    return jar(BUILT.get(5));
  }

  /** bench/floor-agent's jar: the bb-floor mode's agent. */
  public Path floorAgent() {
    return jar(BUILT.get(6));
  }

  /**
   * Copies the built jars into {@code dir} and returns paths that use the copies: other work may
   * rebuild the repository's jars during a 25-minute run, and a jar rewritten under a running or
   * starting JVM breaks it. Puts "repo path → size, mtime, sha-256 prefix" into {@code info}.
   */
  public BenchPaths snapshotJars(Path dir, Map<String, String> info) throws IOException {
    Files.createDirectories(dir);
    for (String p : BUILT) {
      Path src = root.resolve(p);
      Path dst = dir.resolve(src.getFileName());
      Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
      info.put(p, String.format("%,d bytes, built %s, sha-256 %s", Files.size(dst), Files.getLastModifiedTime(dst).toInstant().truncatedTo(ChronoUnit.SECONDS), sha256(dst).substring(0, 16)));
    }
    return new BenchPaths(root, java, jcmd, dir);
  }

  private static String sha256(Path f) throws IOException {
    try (InputStream in = Files.newInputStream(f)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A folder for files the harness derives from the jars (the extension it reads settings from). */
  public Path scratchDir() {
    return jarDir != null ? jarDir.resolveSibling("scratch") : Path.of(System.getProperty("java.io.tmpdir"), "inmesh-bench-scratch");
  }

  public List<Path> missing() {
    List<Path> m = new ArrayList<>();
    for (Path p : List.of(inmeshAgent(), controlPlaneJar(), otelAgent(), benchJar(), pedidoJar(), usuarioJar(), floorAgent(), java())) {
      if (!Files.exists(p)) {
        m.add(p);
      }
    }
    return m;
  }

  /** Java and jcmd from java.home of the JDK given (a java executable), or of this JVM. */
  public static BenchPaths of(Path root, String javaExecutable) {
    Path java = javaExecutable != null ? Path.of(javaExecutable) : Path.of(System.getProperty("java.home"), "bin", "java");
    Path real;
    try {
      real = java.toRealPath();
    } catch (java.io.IOException e) {
      real = java.toAbsolutePath();
    }
    Path jcmd = real.getParent().resolve("jcmd");
    return new BenchPaths(root, java, jcmd, null);
  }
}
