package io.inmesh.launcher;

/**
 * The inmesh and embedded OpenTelemetry versions, written into this source at build time (Maven
 * resource filtering of {@code src/main/java-templates}). Constants rather than a properties file
 * read at class initialisation: issue 13 found that resource lookup loading some forty JDK classes
 * (module readers, URL connections) at premain of every JVM.
 */
public final class Versions {
  public static final String INMESH = "${project.version}";
  public static final String OTEL_AGENT = "${otel.agent.version}";

  private Versions() {}
}
