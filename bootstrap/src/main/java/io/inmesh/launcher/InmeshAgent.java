package io.inmesh.launcher;

import io.opentelemetry.javaagent.OpenTelemetryAgent;
import java.lang.instrument.Instrumentation;

/**
 * The {@code Premain-Class} of inmesh-agent.jar. Compiled for Java 8: on a JVM older than 17 it
 * says so once and returns, leaving the application to run without inmesh. Otherwise it chooses the
 * profile ({@link Profile}), prints the start line and hands over to the embedded OpenTelemetry agent
 * (traced), which loads inmesh's extension, or to the lean host (mesh, {@link LeanLauncher}).
 * Nothing here touches the network.
 */
public final class InmeshAgent {

  public static final int MINIMUM_JAVA = 17;

  private InmeshAgent() {}

  public static void premain(String agentArgs, Instrumentation inst) {
    long start = System.nanoTime();
    Profile profile = chooseProfile();
    if (!announce(profile)) {
      return;
    }
    if (profile != null && profile.isMesh()) {
      if (meshEnabled()) {
        startLean(inst, true);
      } // else: the mesh profile has nothing but the mesh to run; the application runs untouched
    } else {
      OpenTelemetryAgent.premain(agentArgs, inst);
    }
    if (debug()) {
      System.err.println("[inmesh] premain took " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }
  }

  private static boolean debug() {
    String level = System.getProperty("inmesh.log.level", System.getenv("INMESH_LOG_LEVEL"));
    return level != null && level.trim().equalsIgnoreCase("debug");
  }

  public static void agentmain(String agentArgs, Instrumentation inst) {
    Profile profile = chooseProfile();
    if (!announce(profile)) {
      return;
    }
    if (profile != null && profile.isMesh()) {
      if (meshEnabled()) {
        startLean(inst, false);
      }
    } else {
      OpenTelemetryAgent.agentmain(agentArgs, inst);
    }
  }

  /** INMESH_ENABLED=false: in the mesh profile nothing is installed at all (traced keeps tracing). */
  private static boolean meshEnabled() {
    try {
      return Settings.get().enabled;
    } catch (Throwable t) {
      return true; // the settings already said what is wrong in the start line
    }
  }

  /**
   * The mesh profile: inmesh's modules on a small Byte Buddy host, no OpenTelemetry agent. A failure
   * here leaves the application running without inmesh (fail open), said once.
   */
  private static void startLean(Instrumentation inst, boolean premain) {
    try {
      LeanLauncher.start(inst, premain);
    } catch (Throwable t) {
      Throwable cause = t instanceof java.lang.reflect.InvocationTargetException ? t.getCause() : t;
      System.err.println(
          "[inmesh] error: the mesh profile's host failed to start; the application runs without inmesh: " + cause);
      if (debug() && cause != null) {
        cause.printStackTrace();
      }
    }
  }

  /** The profile of this JVM (issue 13), chosen once and published through {@link Profile#active()}. */
  private static Profile chooseProfile() {
    try {
      return Profile.activate(Profile.choose(System.getenv(), System.getProperties()));
    } catch (Throwable t) {
      System.err.println("[inmesh] could not choose the profile, running traced: " + t);
      return null;
    }
  }

  /** Prints what inmesh will do; false when this JVM is too old to run it. */
  private static boolean announce(Profile profile) {
    String spec = System.getProperty("java.specification.version");
    int feature = featureVersion(spec);
    if (feature < MINIMUM_JAVA) {
      System.err.println(tooOldMessage(spec));
      return false;
    }
    try {
      System.err.println(Settings.get().startLine(Versions.INMESH, Versions.OTEL_AGENT, profile));
    } catch (Throwable t) {
      // never let the start line stop the application
      System.err.println("[inmesh] could not print settings: " + t);
    }
    return true;
  }

  static String tooOldMessage(String spec) {
    return "[inmesh] Java "
        + spec
        + " is older than "
        + MINIMUM_JAVA
        + ": inmesh stays off and the application runs without it (no mesh, no tracing)."
        + " Run on Java "
        + MINIMUM_JAVA
        + " or newer to use inmesh.";
  }

  /** "1.8" → 8, "11" → 11, "17" → 17; unparseable → 0. */
  static int featureVersion(String spec) {
    if (spec == null) {
      return 0;
    }
    String s = spec.startsWith("1.") ? spec.substring(2) : spec;
    int dot = s.indexOf('.');
    if (dot > 0) {
      s = s.substring(0, dot);
    }
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
