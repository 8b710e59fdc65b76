package io.inmesh.launcher;

import java.io.File;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * inmesh's configuration contract, resolved once: every setting is an environment variable
 * ({@code INMESH_CONTROL_URL}) and the matching system property ({@code inmesh.control.url}); the
 * system property wins. Compiled for Java 8 because the launcher prints the start line with it
 * before it knows whether the JVM is new enough; the engine reads the same object, so the line
 * and the behaviour can never disagree.
 */
public final class Settings {

  public static final String CONTROL_URL = "INMESH_CONTROL_URL";
  public static final String SERVICE = "INMESH_SERVICE";
  public static final String NAMESPACE = "INMESH_NAMESPACE";
  public static final String LABELS = "INMESH_LABELS";
  public static final String SERVICE_ACCOUNT = "INMESH_SERVICE_ACCOUNT";
  public static final String ADMIN_ADDRESS = "INMESH_ADMIN_ADDRESS";
  public static final String CACHE_DIR = "INMESH_CACHE_DIR";
  public static final String STARTUP_WAIT = "INMESH_STARTUP_WAIT";
  public static final String ENDPOINT_ADDRESS = "INMESH_ENDPOINT_ADDRESS";
  public static final String ENABLED = "INMESH_ENABLED";
  public static final String TOKEN = "INMESH_TOKEN";
  public static final String CONTROL_CA = "INMESH_CONTROL_CA";
  public static final String AUDIT_LOG = "INMESH_AUDIT_LOG";

  public static final int ADMIN_PORT = 15000;
  public static final int HEALTH_PORT = 15020;
  public static final int PROMETHEUS_PORT = 15090;

  private static volatile Settings current;

  /** null when no control endpoint is configured (passthrough). */
  public final String controlUrl;
  public final String service;
  public final String namespace;
  /** Endpoint labels, in the order given; always holds {@code app}. */
  public final Map<String, String> labels;
  public final String serviceAccount;
  public final String adminAddress;
  public final String cacheDir;
  /** Where authorization's audit trail goes: {@code stdout} (the default), {@code off}, or a file to append to. */
  public final String auditLog;
  public final long startupWaitMillis;
  /** null: use the host's first non-loopback address when the app binds a wildcard address. */
  public final String endpointAddress;
  public final boolean enabled;
  /** Join token for identity (used by the security work); null when unset. */
  public final String token;
  /**
   * PEM file of the root(s) an {@code https://} control URL must chain to; used only to bootstrap
   * (later roots arrive over the channel). null when unset.
   */
  public final String controlCa;
  /** Problems found while resolving (bad duration, bad label); printed once, never fatal. */
  public final String warnings;
  /**
   * The test-only stage-failure switch ({@code -Dinmesh.test.failStages=resolve,balance,...}),
   * read from the system property only (no environment twin), or null. Announced in the start line.
   */
  public final String testFaults;

  private Settings(Lookup in) {
    StringBuilder warn = new StringBuilder();
    String url = in.get(CONTROL_URL);
    this.controlUrl = url == null || url.trim().isEmpty() ? null : trimSlash(url.trim());
    String svc = in.get(SERVICE);
    if (svc == null) {
      svc = in.getRaw("OTEL_SERVICE_NAME", "otel.service.name");
    }
    if (svc == null) {
      svc = serviceFromMainClass(in.getRaw(null, "sun.java.command"));
    }
    this.service = svc;
    this.namespace = orDefault(in.get(NAMESPACE), "default");
    this.labels = parseLabels(in.get(LABELS), svc, warn);
    this.serviceAccount = orDefault(in.get(SERVICE_ACCOUNT), svc);
    this.adminAddress = orDefault(in.get(ADMIN_ADDRESS), "127.0.0.1");
    String cache = in.get(CACHE_DIR);
    if (cache == null) {
      cache =
          new File(
                  new File(System.getProperty("java.io.tmpdir"), "inmesh-cache"),
                  safeFileName(namespace) + File.separator + safeFileName(svc))
              .getPath();
    }
    this.cacheDir = cache;
    this.auditLog = orDefault(in.get(AUDIT_LOG), "stdout");
    this.startupWaitMillis = parseDurationMillis(in.get(STARTUP_WAIT), 5000, STARTUP_WAIT, warn);
    this.endpointAddress = in.get(ENDPOINT_ADDRESS);
    String enabledValue = in.get(ENABLED);
    this.enabled = enabledValue == null || !"false".equalsIgnoreCase(enabledValue.trim());
    this.token = in.get(TOKEN);
    this.controlCa = in.get(CONTROL_CA);
    String[] claims = token == null ? null : tokenClaims(token);
    if (claims != null && !claims[1].equals(namespace)) {
      warn.append("[inmesh] warning: ")
          .append(TOKEN)
          .append(" is for namespace ")
          .append(claims[1])
          .append(" but ")
          .append(NAMESPACE)
          .append(" is ")
          .append(namespace)
          .append(": the control plane will refuse to register this workload; set ")
          .append(NAMESPACE)
          .append('=')
          .append(claims[1])
          .append('\n');
    }
    if (controlUrl != null && controlUrl.startsWith("https://") && controlCa == null) {
      warn.append("[inmesh] warning: ")
          .append(CONTROL_URL)
          .append(" is https:// but ")
          .append(CONTROL_CA)
          .append(" is unset: the agent cannot verify the control plane and will not connect\n");
    }
    this.warnings = warn.toString();
    String faults = in.props == null ? null : in.props.getProperty(TEST_FAULTS_PROPERTY);
    this.testFaults = faults == null || faults.trim().isEmpty() ? null : faults.trim();
  }

  /** See {@link #testFaults}; the engine's {@code StageFaults} reads the same property. */
  public static final String TEST_FAULTS_PROPERTY = "inmesh.test.failStages";

  /** The settings of this JVM, resolved from the environment and system properties once. */
  public static Settings get() {
    Settings s = current;
    if (s == null) {
      synchronized (Settings.class) {
        s = current;
        if (s == null) {
          s = resolve(System.getenv(), System.getProperties());
          current = s;
        }
      }
    }
    return s;
  }

  /** Resolves settings from the given sources; visible for tests. */
  public static Settings resolve(Map<String, String> env, Properties props) {
    return new Settings(new Lookup(env, props));
  }

  /** The system property name that matches an environment variable name. */
  public static String propertyName(String envName) {
    return envName.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  public String labelsText() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : labels.entrySet()) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.toString();
  }

  /** The one line the agent prints to stderr at start: what it is and what it will do. */
  public String startLine(String inmeshVersion, String otelVersion) {
    return startLine(inmeshVersion, otelVersion, null);
  }

  /** The start line, naming the profile (issue 13) and carrying its warnings when one is given. */
  public String startLine(String inmeshVersion, String otelVersion, Profile profile) {
    StringBuilder sb = new StringBuilder(200);
    sb.append("[inmesh] inmesh ")
        .append(inmeshVersion)
        .append(" (OpenTelemetry Java agent ")
        .append(otelVersion)
        .append("): service=")
        .append(service)
        .append(" namespace=")
        .append(namespace)
        .append(" labels=")
        .append(labelsText())
        .append(" control=")
        .append(controlUrl == null ? "none (passthrough)" : controlUrl)
        .append(" admin=")
        .append(adminAddress)
        .append(':')
        .append(ADMIN_PORT)
        .append(",:")
        .append(HEALTH_PORT)
        .append(" identity=")
        .append(identityText())
        .append(" mesh=")
        .append(
            enabled
                ? "on"
                : profile != null && profile.isMesh()
                    ? "off (INMESH_ENABLED=false)"
                    : "off (INMESH_ENABLED=false; tracing stays on)");
    if (testFaults != null) {
      sb.append(" test-faults=").append(testFaults).append(" (TEST ONLY: these stages throw on every call)");
    }
    if (profile != null) {
      sb.append(' ').append(profile.startLineText());
    }
    if (!warnings.isEmpty()) {
      sb.append(System.lineSeparator()).append(warnings.trim());
    }
    if (profile != null && !profile.warnings.isEmpty()) {
      sb.append(System.lineSeparator()).append(profile.warnings.trim());
    }
    return sb.toString();
  }

  /**
   * What the start line says about identity. Premain does no I/O, so this is what the agent will
   * ask for: the namespace and service account the join token names, read from the token's
   * payload (the control plane verifies it, the agent only reads it), or none.
   */
  public String identityText() {
    if (token == null) {
      return "none (no INMESH_TOKEN)";
    }
    String[] claims = tokenClaims(token);
    if (claims == null) {
      return "unreadable INMESH_TOKEN";
    }
    return "ns/" + claims[1] + "/sa/" + claims[2] + " (INMESH_TOKEN; certificate requested in the background)";
  }

  /** {id, namespace, serviceAccount, expiryEpochSeconds} of an inmesh join token, or null. */
  public static String[] tokenClaims(String token) {
    String t = token.trim();
    if (!t.startsWith("inmesh1.")) {
      return null;
    }
    String[] parts = t.substring("inmesh1.".length()).split("\\.");
    if (parts.length != 2) {
      return null;
    }
    try {
      String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[0]), "UTF-8");
      String[] f = payload.split(":");
      return f.length == 4 ? f : null;
    } catch (IllegalArgumentException | java.io.UnsupportedEncodingException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------

  static Map<String, String> parseLabels(String text, String service, StringBuilder warn) {
    Map<String, String> labels = new LinkedHashMap<String, String>();
    if (text != null) {
      for (String part : text.split(",")) {
        String p = part.trim();
        if (p.isEmpty()) {
          continue;
        }
        int eq = p.indexOf('=');
        if (eq <= 0) {
          warn.append("[inmesh] warning: ")
              .append(LABELS)
              .append(": ignored \"")
              .append(p)
              .append("\", expected key=value (e.g. app=usuario-service,version=v1)\n");
          continue;
        }
        labels.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
      }
    }
    if (!labels.containsKey("app")) {
      // Subsets and AuthorizationPolicy selectors commonly select on app: give it the service.
      Map<String, String> withApp = new LinkedHashMap<String, String>();
      withApp.put("app", service);
      withApp.putAll(labels);
      labels = withApp;
    }
    return Collections.unmodifiableMap(labels);
  }

  /** Parses Istio-style durations: {@code 5s}, {@code 250ms}, {@code 1m}, {@code 1h}. */
  public static long parseDurationMillis(String text, long dflt, String name, StringBuilder warn) {
    if (text == null || text.trim().isEmpty()) {
      return dflt;
    }
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Long.parseLong(t.substring(0, t.length() - 2).trim());
      }
      if (t.endsWith("s")) {
        return Math.round(Double.parseDouble(t.substring(0, t.length() - 1).trim()) * 1000);
      }
      if (t.endsWith("m")) {
        return Math.round(Double.parseDouble(t.substring(0, t.length() - 1).trim()) * 60_000);
      }
      if (t.endsWith("h")) {
        return Math.round(Double.parseDouble(t.substring(0, t.length() - 1).trim()) * 3_600_000);
      }
      return Math.round(Double.parseDouble(t) * 1000);
    } catch (NumberFormatException e) {
      if (warn != null) {
        warn.append("[inmesh] warning: ")
            .append(name)
            .append("=\"")
            .append(text)
            .append("\" is not a duration (use e.g. 5s or 500ms); using ")
            .append(dflt)
            .append("ms\n");
      }
      return dflt;
    }
  }

  /** The default service name: the main class's simple name in kebab case. */
  static String serviceFromMainClass(String command) {
    if (command == null || command.trim().isEmpty()) {
      return "unknown-service";
    }
    String first = command.trim().split("\\s+")[0];
    String main = first;
    if (first.endsWith(".jar")) {
      main = mainClassOfJar(first);
      if (main == null) {
        String name = new File(first).getName();
        return kebab(name.substring(0, name.length() - 4));
      }
    }
    int dot = main.lastIndexOf('.');
    return kebab(dot >= 0 ? main.substring(dot + 1) : main);
  }

  private static String mainClassOfJar(String path) {
    try (JarFile jar = new JarFile(path, false)) {
      Manifest mf = jar.getManifest();
      if (mf == null) {
        return null;
      }
      Attributes a = mf.getMainAttributes();
      String start = a.getValue("Start-Class"); // Spring Boot fat jars name the app class here
      return start != null ? start : a.getValue("Main-Class");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static String kebab(String name) {
    StringBuilder sb = new StringBuilder(name.length() + 8);
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isUpperCase(c)) {
        if (i > 0 && sb.length() > 0 && sb.charAt(sb.length() - 1) != '-') {
          sb.append('-');
        }
        sb.append(Character.toLowerCase(c));
      } else if (Character.isLetterOrDigit(c)) {
        sb.append(c);
      } else if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '-') {
        sb.append('-');
      }
    }
    String s = sb.toString();
    while (s.endsWith("-")) {
      s = s.substring(0, s.length() - 1);
    }
    return s.isEmpty() ? "unknown-service" : s;
  }

  private static String safeFileName(String s) {
    return s.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  private static String orDefault(String v, String d) {
    return v == null || v.trim().isEmpty() ? d : v.trim();
  }

  private static String trimSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  private static final class Lookup {
    private final Map<String, String> env;
    private final Properties props;

    Lookup(Map<String, String> env, Properties props) {
      this.env = env;
      this.props = props;
    }

    String get(String envName) {
      return getRaw(envName, propertyName(envName));
    }

    String getRaw(String envName, String propName) {
      String v = propName == null ? null : props.getProperty(propName);
      if (v == null && envName != null) {
        v = env.get(envName);
      }
      return v == null || v.trim().isEmpty() ? null : v.trim();
    }
  }
}
