package io.inmesh.agent.lean;

import java.io.File;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;

/**
 * Lets go of the whole agent jar in the mesh profile (issue 13).
 *
 * <p>The JVM puts a {@code -javaagent} jar on the application class loader's path and loads the
 * premain class through it; that loader then keeps the jar open for the life of the process, and
 * with it the jar's central directory in the Java heap: 16,700 entries, 2.2 MB (plus 0.3 MB of
 * index), nearly all of them the upstream agent's {@code inst/} classes, which only the traced profile
 * reads. Everything the mesh profile needs of the jar is in {@code inmesh/host.jar}, already copied out
 * and in use by then, and it holds the same root classes the application loader found in the jar. So
 * the loader's entry for the agent jar is pointed at that copy (a field of the JDK's
 * {@code URLClassPath.JarLoader}, the same on Java 17 and 25; {@code java.base} opened to this module
 * through {@link Instrumentation#redefineModule}) and the jar it held is closed: its zip source, shared
 * by every reader of the same file, goes with the last one while still young garbage.
 *
 * <p>Only from premain: nothing else loads application classes yet, so no lookup can find the old
 * file closed under it. Anything unexpected (another JDK's internals, a custom system class loader)
 * leaves everything as it was: the cost stays, nothing breaks.
 */
final class AgentJarRelease {

  private AgentJarRelease() {}

  /** The outcome, for the debug line: "released", or why not. */
  static String release(Instrumentation inst, File agentJar, File hostJar) {
    try {
      Class<?> builtin = Class.forName("jdk.internal.loader.BuiltinClassLoader");
      inst.redefineModule(
          Object.class.getModule(),
          Set.of(),
          Map.of(),
          Map.of("jdk.internal.loader", Set.of(AgentJarRelease.class.getModule())),
          Set.of(),
          Map.of());
      Field ucpField = builtin.getDeclaredField("ucp");
      ucpField.setAccessible(true);
      String agentPath = agentJar.getCanonicalPath();
      for (ClassLoader l = ClassLoader.getSystemClassLoader(); l != null; l = l.getParent()) {
        if (!builtin.isInstance(l)) {
          continue;
        }
        Object ucp = ucpField.get(l);
        if (ucp == null) {
          continue;
        }
        Field loadersField = ucp.getClass().getDeclaredField("loaders");
        loadersField.setAccessible(true);
        Object[] loaders;
        synchronized (ucp) { // URLClassPath grows its list of loaders under its own lock
          loaders = ((List<?>) loadersField.get(ucp)).toArray();
        }
        for (Object loader : loaders) {
          if (!loader.getClass().getName().endsWith("$JarLoader")) {
            continue;
          }
          Field jarField = loader.getClass().getDeclaredField("jar");
          jarField.setAccessible(true);
          JarFile jar = (JarFile) jarField.get(loader);
          if (jar == null || !sameFile(jar.getName(), agentPath)) {
            continue;
          }
          // opened as the JDK opens a class path jar (verified, multi-release at this runtime's version)
          jarField.set(loader, new JarFile(hostJar, true, ZipFile.OPEN_READ, JarFile.runtimeVersion()));
          jar.close();
          return "released";
        }
      }
      return "the agent jar is not on a JDK class loader's path";
    } catch (Throwable t) {
      return "kept: " + t;
    }
  }

  private static boolean sameFile(String name, String canonical) {
    try {
      return new File(name).getCanonicalPath().equals(canonical);
    } catch (IOException e) {
      return false;
    }
  }
}
