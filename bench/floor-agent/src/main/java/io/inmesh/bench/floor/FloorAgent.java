package io.inmesh.bench.floor;

import java.io.File;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.util.jar.JarFile;

/**
 * bench/run's {@code bb-floor} mode (issue 13): the floor under the mesh profile's start-up and
 * memory. It does what the mesh profile's host cannot avoid doing — append its jar to the bootstrap
 * path (advice in JDK classes calls classes there), register a transformer, and weave Byte Buddy
 * advice into the HTTP classes a request goes through — and nothing of the mesh: no policy, no
 * control plane, no engine. This class names no Byte Buddy type: the transformer ({@link Weaver})
 * and Byte Buddy are loaded from the bootstrap path only, so one loader defines them all.
 */
public final class FloorAgent {
  private FloorAgent() {}

  public static void premain(String args, Instrumentation inst) throws Exception {
    File jar = new File(FloorAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    inst.appendToBootstrapClassLoaderSearch(new JarFile(jar, false));
    Class<?> weaver = Class.forName("io.inmesh.bench.floor.Weaver", true, null);
    inst.addTransformer((ClassFileTransformer) weaver.getDeclaredConstructor().newInstance(), true);
    System.err.println("[bb-floor] started: a Byte Buddy no-op advice on the HTTP classes a request goes through, nothing else");
  }
}
