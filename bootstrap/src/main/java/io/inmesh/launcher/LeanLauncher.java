package io.inmesh.launcher;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.net.URISyntaxException;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The mesh profile's host (issue 13, docs/lean-profile.md 5.2): instead of starting the embedded
 * OpenTelemetry agent, it
 *
 * <ol>
 *   <li>copies out {@code inmesh/host.jar}, what this profile needs of this jar alone: its root
 *       (inmesh's bootstrap classes, the agent's shaded {@code VirtualField}, this launcher) and,
 *       from {@code inst/}, Byte Buddy, ASM and the extension API. The whole jar's central directory
 *       (16,700 entries, for the traced profile's ~300 upstream modules) cost every meshed JVM 2.1 MB
 *       mapped by the JVM for the bootstrap path and 2.2 MB of heap in each class loader reading it
 *       (issue 13);
 *   <li>appends that copy to the bootstrap class path, as the OpenTelemetry agent does with its jar;
 *   <li>creates the upstream jar's own {@code AgentClassLoader} over that copy's {@code inst/} (Byte
 *       Buddy, the extension API) rather than shipping a second Byte Buddy;
 *   <li>loads {@code extensions/inmesh-extension.jar} in a child loader that applies the agent's
 *       shading to it ({@link ShadingExtensionLoader}), as the OpenTelemetry agent's extension loader
 *       does;
 *   <li>hands over to {@code io.inmesh.agent.lean.LeanInstaller} in the extension, found by name:
 *       it installs inmesh's instrumentation modules, points the application loader's entry for this
 *       jar at the copy (the last reader of the whole jar) and starts the mesh engine.
 * </ol>
 *
 * <p>No network I/O; the only files written are the temporary copies of the host and extension
 * jars. Compiled for Java 8 like the rest of the launcher, but only ever called on 17+.
 */
final class LeanLauncher {

  static final String AGENT_CLASS_LOADER = "io.opentelemetry.javaagent.bootstrap.AgentClassLoader";
  static final String INSTALLER = "io.inmesh.agent.lean.LeanInstaller";
  private static final String EXTENSION_ENTRY = "extensions/inmesh-extension.jar";
  /** What the mesh profile needs of this jar, alone: see {@link #start}. */
  private static final String HOST_ENTRY = "inmesh/host.jar";

  private LeanLauncher() {}

  /** @param premain false when attached at run time: the application loader then keeps the whole jar */
  static void start(Instrumentation inst, boolean premain) throws Exception {
    File agentJar = agentJar();
    File host;
    File extension;
    JarFile jar = new JarFile(agentJar, false);
    try {
      host = extract(jar, HOST_ENTRY, "inmesh-host-");
      extension = extract(jar, EXTENSION_ENTRY, "inmesh-extension-");
    } finally {
      jar.close();
    }
    JarFile hostJar = new JarFile(host, false);
    try {
      inst.appendToBootstrapClassLoaderSearch(hostJar); // the JVM opens the file by its name
    } finally {
      hostJar.close();
    }
    // the engine's copy of the launcher classes is the bootstrap one: tell it what premain chose
    Class<?> bootProfile = Class.forName(Profile.class.getName(), true, null);
    if (bootProfile != Profile.class) {
      Profile p = Profile.active();
      bootProfile.getMethod("publish", String.class, String.class).invoke(null, p.name, p.reason);
    }
    // by name from the bootstrap loader: a direct reference would be resolved by the application
    // loader (which also sees this jar) while this class is verified, before the jar is appended
    ClassLoader agentLoader =
        (ClassLoader)
            Class.forName(AGENT_CLASS_LOADER, true, null)
                .getConstructor(File.class, String.class, boolean.class)
                .newInstance(host, "inst", false);
    ClassLoader extensionLoader = new ShadingExtensionLoader(extension, agentLoader);
    Class<?> installer = Class.forName(INSTALLER, true, extensionLoader);
    installer
        .getMethod("install", Instrumentation.class, ClassLoader.class, File.class, File.class)
        .invoke(null, inst, extensionLoader, premain ? agentJar : null, host);
  }

  private static File agentJar() throws URISyntaxException {
    return new File(InmeshAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /**
   * A new file of this JVM's own in {@code dir}: created exclusively (never an existing file or a
   * link someone planted), named from the clock and a counter. Not {@code File.createTempFile},
   * whose {@code SecureRandom} (the JDK's entropy pool and message digests, ~70 classes) was the
   * largest single share of the JDK classes the mesh profile loaded at premain (issue 13).
   */
  static File newPrivateFile(File dir, String prefix, String suffix) throws IOException {
    long seed = System.nanoTime() ^ ((long) System.identityHashCode(dir) << 32);
    for (int i = 0; i < 1000; i++) {
      File f = new File(dir, prefix + Long.toHexString((seed + i) & Long.MAX_VALUE) + suffix);
      if (f.createNewFile()) {
        return f;
      }
    }
    throw new IOException("cannot create a new file in " + dir);
  }

  /**
   * A private copy of one stored jar inside the agent jar, deleted when the JVM exits (what the
   * OpenTelemetry agent does with its embedded extensions too).
   */
  private static File extract(JarFile jar, String name, String prefix) throws IOException {
    JarEntry entry = jar.getJarEntry(name);
    if (entry == null) {
      throw new IOException(name + " missing from " + jar.getName());
    }
    File tmp = newPrivateFile(new File(System.getProperty("java.io.tmpdir")), prefix, ".jar");
    tmp.deleteOnExit();
    InputStream in = jar.getInputStream(entry);
    OutputStream out = new FileOutputStream(tmp);
    try {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
      }
    } finally {
      out.close();
      in.close();
    }
    return tmp;
  }
}
