package io.inmesh.control;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version printed in the banner, filtered in by Maven so it never drifts from the POM. */
public final class BuildInfo {

  public static final String VERSION = load();

  private BuildInfo() {}

  private static String load() {
    try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null && !v.startsWith("${")) {
          return v;
        }
      }
    } catch (IOException e) {
      // fall through: an unknown version must not stop the control plane
    }
    return "dev";
  }
}
