package io.inmesh.launcher;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * Which host runs inmesh's instrumentation in this JVM (issue 13, docs/lean-profile.md 5.1):
 *
 * <ul>
 *   <li>{@code traced}: the embedded OpenTelemetry Java agent, as before: spans, metrics, logs and
 *       every upstream instrumentation;
 *   <li>{@code mesh}: a small Byte Buddy host of inmesh's own instrumentation modules only; no
 *       OpenTelemetry SDK, no upstream instrumentation, the application sees the no-op API.
 * </ul>
 *
 * <p>{@code INMESH_PROFILE} / {@code -Dinmesh.profile} decides when set (another value: one warning,
 * then the automatic rule). Unset: {@code traced} when any OpenTelemetry exporter (traces, metrics,
 * logs; system property, then environment, then the agent's configuration file) is something other
 * than {@code none}, or when {@code OTEL_JAVAAGENT_EXTENSIONS} is set; {@code mesh} otherwise.
 *
 * <p>A pure function of environment and system properties (and the configuration file they name),
 * compiled for Java 8 like the rest of the launcher. {@link #active()} publishes the choice to the
 * engine: it is set once by premain, before any instrumentation is installed.
 */
public final class Profile {

  public static final String MESH = "mesh";
  public static final String TRACED = "traced";

  public static final String PROFILE_ENV = "INMESH_PROFILE";
  public static final String PROFILE_PROPERTY = "inmesh.profile";

  static final String[] EXPORTERS = {"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"};
  static final String EXTENSIONS = "OTEL_JAVAAGENT_EXTENSIONS";
  static final String CONFIG_FILE = "OTEL_JAVAAGENT_CONFIGURATION_FILE";
  /** OTel settings the mesh profile honours itself, so they are never named in the warning. */
  static final String[] HONOURED = {"OTEL_SERVICE_NAME", "OTEL_PROPAGATORS"};

  private static volatile Profile active;

  /** {@link #MESH} or {@link #TRACED}. */
  public final String name;
  /** Why, as the start line says it: "no OpenTelemetry exporter configured", "OTEL_TRACES_EXPORTER=otlp", … */
  public final String reason;
  /**
   * Warning lines (each starting with {@code [inmesh] warning:}), or the empty string: an unknown
   * profile value, an unreadable configuration file, and in the mesh profile the one line naming the
   * {@code OTEL_*} settings that take effect only in the traced profile.
   */
  public final String warnings;

  private Profile(String name, String reason, String warnings) {
    this.name = name;
    this.reason = reason;
    this.warnings = warnings;
  }

  public boolean isMesh() {
    return MESH.equals(name);
  }

  /** "profile=mesh (no OpenTelemetry exporter configured)". */
  public String startLineText() {
    return "profile=" + name + " (" + reason + ")";
  }

  @Override
  public String toString() {
    return startLineText();
  }

  /**
   * The profile of this JVM: the one premain chose, or (in a JVM started without the agent, e.g. a
   * unit test) the one the current environment and system properties choose.
   */
  public static Profile active() {
    Profile p = active;
    if (p == null) {
      synchronized (Profile.class) {
        p = active;
        if (p == null) {
          p = choose(System.getenv(), System.getProperties());
          active = p;
        }
      }
    }
    return p;
  }

  /** True when this JVM runs the lean mesh profile (no OpenTelemetry agent). */
  public static boolean meshActive() {
    return active().isMesh();
  }

  /** Called once by premain; later calls keep the first choice. */
  static Profile activate(Profile p) {
    synchronized (Profile.class) {
      if (active == null) {
        active = p;
      }
      return active;
    }
  }

  /**
   * Publishes the profile premain chose to this copy of the class (the mesh host's bootstrap copy,
   * which the engine reads; premain ran from the application loader's copy). First call wins.
   */
  public static void publish(String name, String reason) {
    activate(new Profile(MESH.equals(name) ? MESH : TRACED, reason, ""));
  }

  /** Chooses the profile from the given environment and system properties. */
  public static Profile choose(Map<String, String> env, Properties props) {
    StringBuilder warn = new StringBuilder();
    Properties file = configFile(env, props, warn);
    String explicit = value(env, props, null, PROFILE_ENV, PROFILE_PROPERTY);
    String name = null;
    String reason = null;
    if (explicit != null) {
      String v = explicit.trim().toLowerCase(Locale.ROOT);
      if (MESH.equals(v) || TRACED.equals(v)) {
        name = v;
        reason = (props != null && props.getProperty(PROFILE_PROPERTY) != null ? PROFILE_PROPERTY : PROFILE_ENV) + "=" + v;
      } else {
        warn.append("[inmesh] warning: ")
            .append(PROFILE_ENV)
            .append('=')
            .append(explicit)
            .append(" is neither mesh nor traced; choosing the profile from the OpenTelemetry settings\n");
      }
    }
    if (name == null) {
      for (String exporter : EXPORTERS) {
        String v = value(env, props, file, exporter, Settings.propertyName(exporter));
        if (v != null && !allNone(v)) {
          name = TRACED;
          String src = source(env, props, exporter);
          reason =
              src.endsWith(CONFIG_FILE)
                  ? Settings.propertyName(exporter) + "=" + v.trim() + " in " + CONFIG_FILE
                  : src + "=" + v.trim();
          break;
        }
      }
    }
    if (name == null) {
      String v = value(env, props, file, EXTENSIONS, Settings.propertyName(EXTENSIONS));
      if (v != null) {
        name = TRACED;
        reason = source(env, props, EXTENSIONS) + " is set";
      }
    }
    if (name == null) {
      name = MESH;
      reason = "no OpenTelemetry exporter configured";
    }
    if (MESH.equals(name)) {
      String ignored = ignoredOtelSettings(env, props);
      if (ignored != null) {
        warn.append("[inmesh] warning: ")
            .append(ignored)
            .append(" take")
            .append(ignored.indexOf(',') < 0 ? "s" : "")
            .append(" effect only in the traced profile (this JVM runs profile=mesh;")
            .append(" set INMESH_PROFILE=traced or an OpenTelemetry exporter to use them)\n");
      }
    }
    return new Profile(name, reason, warn.toString());
  }

  /**
   * The OTel settings present that the mesh profile does not honour, comma-separated in a stable
   * order, or null. Honoured: OTEL_SERVICE_NAME, OTEL_PROPAGATORS, and the exporters set to none
   * (they say what the mesh profile does anyway).
   */
  static String ignoredOtelSettings(Map<String, String> env, Properties props) {
    // a sorted set only once there is something to report: premain of every mesh-profile JVM runs
    // this, and most have no OTEL_* setting at all (issue 13: fewer classes loaded at start-up)
    TreeSet<String> names = null;
    if (env != null) {
      for (Map.Entry<String, String> e : env.entrySet()) {
        String k = e.getKey();
        if (k.startsWith("OTEL_") && !honoured(k, e.getValue())) {
          names = add(names, k);
        }
      }
    }
    if (props != null) {
      for (Map.Entry<Object, Object> e : props.entrySet()) {
        if (!(e.getKey() instanceof String) || !(e.getValue() instanceof String)) {
          continue;
        }
        String k = (String) e.getKey();
        if (k.startsWith("otel.") && !honoured(k.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'), (String) e.getValue())) {
          names = add(names, k);
        }
      }
    }
    if (names == null) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (String n : names) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(n);
    }
    return sb.toString();
  }

  private static TreeSet<String> add(TreeSet<String> names, String name) {
    TreeSet<String> n = names == null ? new TreeSet<String>() : names;
    n.add(name);
    return n;
  }

  private static boolean honoured(String envName, String value) {
    // inmesh's own modules can be switched off in both profiles (OTEL_INSTRUMENTATION_INMESH_TOMCAT_ENABLED=false)
    if (envName.startsWith("OTEL_INSTRUMENTATION_INMESH_") && envName.endsWith("_ENABLED")) {
      return true;
    }
    for (String h : HONOURED) {
      if (h.equals(envName)) {
        return true;
      }
    }
    for (String exporter : EXPORTERS) {
      if (exporter.equals(envName)) {
        return value == null || allNone(value);
      }
    }
    return false;
  }

  /** "none", "none, none", "" → true; "otlp", "none,logging" → false. */
  static boolean allNone(String v) {
    for (String part : v.split(",")) {
      String p = part.trim();
      if (!p.isEmpty() && !"none".equalsIgnoreCase(p)) {
        return false;
      }
    }
    return true;
  }

  /** System property, then environment, then the configuration file (OTel's own order). */
  private static String value(Map<String, String> env, Properties props, Properties file, String envName, String propName) {
    String v = props == null ? null : props.getProperty(propName);
    if (v == null && env != null) {
      v = env.get(envName);
    }
    if (v == null && file != null) {
      v = file.getProperty(propName);
    }
    if (v == null || v.trim().isEmpty()) {
      return null;
    }
    return v;
  }

  /** How the start line names the setting that decided: the property, the variable, or the file's key. */
  private static String source(Map<String, String> env, Properties props, String envName) {
    String prop = Settings.propertyName(envName);
    if (props != null && props.getProperty(prop) != null && !props.getProperty(prop).trim().isEmpty()) {
      return prop;
    }
    if (env != null && env.get(envName) != null && !env.get(envName).trim().isEmpty()) {
      return envName;
    }
    return prop + " in " + CONFIG_FILE;
  }

  private static Properties configFile(Map<String, String> env, Properties props, StringBuilder warn) {
    String path = value(env, props, null, CONFIG_FILE, "otel.javaagent.configuration-file");
    if (path == null) {
      return null;
    }
    Properties p = new Properties();
    InputStream in = null;
    try {
      in = new FileInputStream(path.trim());
      p.load(in);
      return p;
    } catch (IOException | RuntimeException e) {
      warn.append("[inmesh] warning: could not read ")
          .append(CONFIG_FILE)
          .append('=')
          .append(path)
          .append(" (")
          .append(e)
          .append("); choosing the profile without it\n");
      return null;
    } finally {
      if (in != null) {
        try {
          in.close();
        } catch (IOException ignored) {
          // read already done
        }
      }
    }
  }
}
