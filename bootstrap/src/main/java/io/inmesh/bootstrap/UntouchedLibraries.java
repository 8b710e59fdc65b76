package io.inmesh.bootstrap;

import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * Issue 14: "a version outside a module's range is left alone and reported once, never broken".
 *
 * <p>Muzzle's build-time generation is a Gradle plugin we cannot run, so each inmesh module guards
 * its range with a class-loader matcher over classes only the supported versions have ({@code
 * hasClassesNamed}). When that matcher says no, the module instruments nothing in that loader: the
 * library is already left alone. What was missing is saying so. A module adds a {@link Guard} behind
 * its matcher ({@code hasClassesNamed(..).or(GUARD::leftAlone)}); the guard answers {@code false}
 * always (it never widens the range) and, the first time it sees a loader in which the library's
 * entry class exists although the range check failed, prints one warning naming the library, the
 * version found and the supported range. Both hosts (the mesh profile's {@code LeanInstaller} and the
 * OpenTelemetry agent in the traced profile) evaluate a module's class-loader matcher before its type
 * matchers, so the same line comes out in both profiles.
 *
 * <p>Plain Java on the bootstrap path (no Byte Buddy types): the module turns {@link
 * Guard#leftAlone} into a matcher with a method reference.
 */
public final class UntouchedLibraries {
  /** "library version" already reported in this JVM: one line per library and version, whatever the loaders. */
  private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();

  private UntouchedLibraries() {}

  /**
   * A guard for one module.
   *
   * @param library the library's name as users know it ("OkHttp")
   * @param entryClass a class every version of the library has ("okhttp3.OkHttpClient")
   * @param pomProperties the Maven coordinates' folder under {@code META-INF/maven/} ("com.squareup.okhttp3/okhttp"),
   *     where the version is read first; else the entry class's jar manifest
   * @param supported the range the module meshes, as the README states it ("4.12 and 5.x")
   */
  public static Guard guard(String library, String entryClass, String pomProperties, String supported) {
    return new Guard(library, entryClass, pomProperties, supported);
  }

  /** The reports made so far, "library version" each (for tests and the config dump). */
  public static Set<String> reported() {
    return Set.copyOf(REPORTED);
  }

  /** See {@link UntouchedLibraries}. */
  public static final class Guard {
    private final String library;
    private final String entryResource;
    private final String pomResource;
    private final String supported;
    /** Loaders already looked at: each is checked once, not at every class it loads. */
    private final Map<ClassLoader, Boolean> seen = new WeakHashMap<>();

    /** Classes of which any one, present, means another module takes the library: say nothing. */
    private final String[] takenByAnother;

    Guard(String library, String entryClass, String pomProperties, String supported) {
      this(library, entryClass.replace('.', '/') + ".class", "META-INF/maven/" + pomProperties + "/pom.properties", supported, new String[0]);
    }

    private Guard(String library, String entryResource, String pomResource, String supported, String[] takenByAnother) {
      this.library = library;
      this.entryResource = entryResource;
      this.pomResource = pomResource;
      this.supported = supported;
      this.takenByAnother = takenByAnother;
    }

    /**
     * The same guard, silent where any of {@code classes} is present: another module (one line of a
     * library two modules share, such as Tomcat 9 beside 10.1 and 11) takes the library there.
     */
    public Guard unlessPresent(String... classes) {
      String[] resources = new String[classes.length];
      for (int i = 0; i < classes.length; i++) {
        resources[i] = classes[i].replace('.', '/') + ".class";
      }
      return new Guard(library, entryResource, pomResource, supported, resources);
    }

    /**
     * Called only where the module's own range check said no. Always {@code false}; reports the
     * library once when {@code loader} holds it.
     */
    public boolean leftAlone(ClassLoader loader) {
      if (loader == null) {
        return false;
      }
      try {
        synchronized (seen) {
          if (seen.put(loader, Boolean.TRUE) != null) {
            return false;
          }
        }
        URL entry = loader.getResource(entryResource);
        if (entry == null) {
          return false;
        }
        for (String other : takenByAnother) {
          if (loader.getResource(other) != null) {
            return false;
          }
        }
        String version = version(loader, entry);
        if (REPORTED.add(library + " " + version) && !quiet()) {
          System.err.println(
              "[inmesh] warning: "
                  + library
                  + " "
                  + version
                  + " ("
                  + where(entry)
                  + ") is outside the versions inmesh meshes ("
                  + supported
                  + "); it is left alone: its calls pass through unmeshed, as without the agent");
        }
      } catch (Throwable t) {
        // a report is not worth a failed class load: say nothing
      }
      return false;
    }

    private String version(ClassLoader loader, URL entry) {
      try (InputStream in = loader.getResourceAsStream(pomResource)) {
        if (in != null) {
          Properties p = new Properties();
          p.load(in);
          String v = p.getProperty("version");
          if (v != null && !v.isBlank()) {
            return v.trim();
          }
        }
      } catch (Throwable t) {
        // fall back to the manifest
      }
      try {
        URLConnection c = entry.openConnection();
        if (c instanceof JarURLConnection) {
          Manifest m = ((JarURLConnection) c).getManifest();
          if (m != null) {
            Attributes a = m.getMainAttributes();
            for (String name : new String[] {"Implementation-Version", "Bundle-Version"}) {
              String v = a.getValue(name);
              if (v != null && !v.isBlank()) {
                return v.trim();
              }
            }
          }
        }
      } catch (Throwable t) {
        // unknown
      }
      return "(version unknown)";
    }

    private static String where(URL entry) {
      String s = entry.toString();
      int bang = s.lastIndexOf("!/");
      s = bang > 0 ? s.substring(0, bang) : s;
      int slash = s.lastIndexOf('/');
      return slash >= 0 ? s.substring(slash + 1) : s;
    }
  }

  private static boolean quiet() {
    String level = System.getProperty("inmesh.log.level", System.getenv("INMESH_LOG_LEVEL"));
    return level != null && level.trim().equalsIgnoreCase("error");
  }
}
