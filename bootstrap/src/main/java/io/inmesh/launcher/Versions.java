package io.inmesh.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The inmesh and embedded OpenTelemetry versions, filtered into the jar at build time. */
public final class Versions {
  public static final String INMESH;
  public static final String OTEL_AGENT;

  static {
    Properties p = new Properties();
    try (InputStream in = Versions.class.getResourceAsStream("/inmesh-version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException ignored) {
      // the versions are informative only
    }
    INMESH = p.getProperty("inmesh.version", "unknown");
    OTEL_AGENT = p.getProperty("otel.agent.version", "unknown");
  }

  private Versions() {}
}
