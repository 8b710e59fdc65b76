package io.inmesh.bench.mode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the jars and tools the run needs are. */
public record BenchPaths(Path root, Path java, Path jcmd) {

  public Path inmeshAgent() {
    return root.resolve("agent/target/inmesh-agent.jar");
  }

  public Path controlPlaneJar() {
    return root.resolve("control-plane/target/inmesh-control.jar");
  }

  public Path otelAgent() {
    return root.resolve("bench/harness/target/opentelemetry-javaagent-2.31.1.jar");
  }

  public Path benchJar() {
    return root.resolve("bench/harness/target/inmesh-bench.jar");
  }

  public Path pedidoJar() {
    return root.resolve("examples/pedido-service/target/pedido-service.jar");
  }

  public Path usuarioJar() {
    return root.resolve("examples/usuario-service/target/usuario-service.jar");
  }

  public List<Path> missing() {
    List<Path> m = new ArrayList<>();
    for (Path p : List.of(inmeshAgent(), controlPlaneJar(), otelAgent(), benchJar(), pedidoJar(), usuarioJar(), java())) {
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
    return new BenchPaths(root, java, jcmd);
  }
}
