package io.inmesh.agent.lean;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.security.ProtectionDomain;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

/**
 * Defines a module's helper classes in the class loader of a type it transforms (application,
 * platform, Spring Boot's {@code LaunchedClassLoader}, bootstrap: any loader, null included), once
 * per (module, loader), before the advice that calls them runs; opens the module's
 * {@code jpmsModulesToOpen} packages to the helpers, and lets a named module that receives advice read
 * the helpers' and inmesh bootstrap's unnamed modules. The OpenTelemetry agent does the same for these
 * modules (its {@code HelperInjector} and bootstrap-exposing listener).
 *
 * <p>How: {@code ClassLoader.defineClass1}, the JDK's own native entry (the same on 17 and 25, and the
 * one path that defines into the bootstrap loader too), reached by opening {@code java.lang} to this
 * class's module through {@link Instrumentation#redefineModule}. No {@code sun.misc.Unsafe} (whose
 * memory methods warn on 24+). The helper bytes come from the extension loader, already shaded.
 *
 * <p>A failure defines nothing more for that loader, is said once, and the advice then fails open on
 * its own (inmesh's advice catches {@code Throwable}).
 */
final class HelperInjector implements AgentBuilder.Transformer {

  private static final Object BOOTSTRAP = new Object();
  private static volatile Method defineClass1;

  private final String module;
  private final List<String> helpers;
  private final ClassLoader source;
  private final Instrumentation inst;
  private final Map<JavaModule, List<String>> opens;
  private final Class<?> bootstrapMarker;
  /** loaders (weakly; BOOTSTRAP for null) this module's helpers are defined in. */
  private final Map<Object, Boolean> done = Collections.synchronizedMap(new WeakHashMap<>());
  private final Set<Object> openedModules = Collections.synchronizedSet(new HashSet<>());
  private volatile Map<String, byte[]> bytes;

  HelperInjector(
      String module,
      List<String> helpers,
      ClassLoader source,
      Instrumentation inst,
      Map<JavaModule, List<String>> opens,
      Class<?> bootstrapMarker) {
    this.module = module;
    this.helpers = helpers;
    this.source = source;
    this.inst = inst;
    this.opens = opens;
    this.bootstrapMarker = bootstrapMarker;
  }

  @Override
  public DynamicType.Builder<?> transform(
      DynamicType.Builder<?> builder,
      TypeDescription type,
      ClassLoader loader,
      JavaModule javaModule,
      ProtectionDomain domain) {
    Object key = loader == null ? BOOTSTRAP : loader;
    if (done.get(key) == null) {
      synchronized (this) {
        if (done.get(key) == null) {
          try {
            inject(loader);
          } catch (Throwable t) {
            System.err.println(
                "[inmesh] warning: module " + module + " could not define its helpers in " + loader + ": " + t);
          }
          done.put(key, Boolean.TRUE);
        }
      }
    }
    if (javaModule != null && javaModule.isNamed()) {
      readEdges(javaModule, loader);
    }
    return builder;
  }

  private void inject(ClassLoader loader) throws Exception {
    Module helperModule = unnamedModule(loader);
    for (Map.Entry<JavaModule, List<String>> e : opens.entrySet()) {
      Module target = (Module) e.getKey().unwrap();
      Map<String, Set<Module>> extraOpens = new HashMap<>();
      for (String pkg : e.getValue()) {
        extraOpens.put(pkg, Set.of(helperModule));
      }
      inst.redefineModule(target, Set.of(), extraOpens, extraOpens, Set.of(), Map.of());
    }
    if (helpers.isEmpty()) {
      return;
    }
    Map<String, byte[]> classes = helperBytes();
    Method define = defineClass1(inst);
    for (String name : helpers) {
      if (alreadyThere(name, loader)) {
        continue;
      }
      byte[] b = classes.get(name);
      if (b == null) {
        throw new IOException("helper " + name + " not found in the extension");
      }
      try {
        define.invoke(null, loader, name, b, 0, b.length, null, "inmesh-lean");
      } catch (java.lang.reflect.InvocationTargetException ite) {
        if (!(ite.getCause() instanceof LinkageError) || !alreadyThere(name, loader)) {
          throw ite.getCause() instanceof Exception ? (Exception) ite.getCause() : ite;
        }
      }
    }
  }

  /** A named module that runs inmesh advice must read the helpers' and inmesh bootstrap's unnamed modules. */
  private void readEdges(JavaModule javaModule, ClassLoader loader) {
    Module m = (Module) javaModule.unwrap();
    Object key = m;
    if (!openedModules.add(key)) {
      return;
    }
    Set<Module> reads = new HashSet<>();
    reads.add(unnamedModule(loader));
    if (bootstrapMarker != null) {
      reads.add(bootstrapMarker.getModule());
    }
    reads.removeIf(m::canRead);
    if (!reads.isEmpty()) {
      inst.redefineModule(m, reads, Map.of(), Map.of(), Set.of(), Map.of());
    }
  }

  private static Module unnamedModule(ClassLoader loader) {
    if (loader != null) {
      return loader.getUnnamedModule();
    }
    // the bootstrap loader's unnamed module: where the agent jar's root classes live
    try {
      return Class.forName("io.inmesh.bootstrap.Mesh", false, null).getModule();
    } catch (ClassNotFoundException e) {
      return Object.class.getModule();
    }
  }

  private static boolean alreadyThere(String name, ClassLoader loader) {
    try {
      Class<?> c = Class.forName(name, false, loader);
      return c.getClassLoader() == loader;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  private Map<String, byte[]> helperBytes() throws IOException {
    Map<String, byte[]> b = bytes;
    if (b == null) {
      b = new HashMap<>();
      for (String name : helpers) {
        try (InputStream in = source.getResourceAsStream(name.replace('.', '/') + ".class")) {
          if (in != null) {
            b.put(name, in.readAllBytes());
          }
        }
      }
      bytes = b;
    }
    return b;
  }

  private static Method defineClass1(Instrumentation inst) throws Exception {
    Method m = defineClass1;
    if (m == null) {
      synchronized (HelperInjector.class) {
        m = defineClass1;
        if (m == null) {
          Module javaBase = Object.class.getModule();
          Module self = HelperInjector.class.getModule();
          if (!javaBase.isOpen("java.lang", self)) {
            inst.redefineModule(
                javaBase, Set.of(), Map.of(), Map.of("java.lang", Set.of(self)), Set.of(), Map.of());
          }
          m =
              ClassLoader.class.getDeclaredMethod(
                  "defineClass1",
                  ClassLoader.class,
                  String.class,
                  byte[].class,
                  int.class,
                  int.class,
                  ProtectionDomain.class,
                  String.class);
          m.setAccessible(true);
          defineClass1 = m;
        }
      }
    }
    return m;
  }
}
