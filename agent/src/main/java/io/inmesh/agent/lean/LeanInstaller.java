package io.inmesh.agent.lean;

import io.inmesh.agent.MeshAgent;
import io.inmesh.launcher.Settings;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.instrument.Instrumentation;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.matcher.ElementMatchers;
import net.bytebuddy.utility.JavaModule;

/**
 * The mesh profile's installer (issue 13, docs/lean-profile.md 5.2): hosts inmesh's own
 * {@link InstrumentationModule}s on its own {@link LeanTransformer} (Byte Buddy advice, no {@link AgentBuilder}), without the OpenTelemetry
 * agent. Called by the launcher's {@code LeanLauncher} with the extension's class loader (a child of
 * the upstream {@code AgentClassLoader}, whose Byte Buddy and extension API it uses).
 *
 * <p>What the OpenTelemetry agent does for these modules, and this host does too:
 *
 * <ul>
 *   <li>advice: {@code Advice.withCustomMapping().with(new AssignReturned.Factory())}, inlined, with
 *       the extension loader as the advice class file source; retransformation for JDK classes loaded
 *       before premain ends;
 *   <li>helper classes ({@code getAdditionalHelperClassNames}) defined once per (module, class loader)
 *       of a matched type: {@link HelperInjector};
 *   <li>{@code jpmsModulesToOpen}, and read edges from a named module to the helpers' and inmesh
 *       bootstrap's unnamed modules: {@code Instrumentation.redefineModule};
 *   <li>{@code registerVirtualFields}: real fields on the registered classes ({@link LeanFields}),
 *       the instrumentation API's weak map where a class cannot have them;
 *   <li>{@code classLoaderMatcher} (the extension API's {@code hasClassesNamed} works as is),
 *       {@code classLoaderOptimization}, {@code defaultEnabled(ConfigProperties)} over env + props;
 *   <li>then {@link MeshAgent#start}, as {@code InmeshAgentListener} does after the OTel agent.
 * </ul>
 *
 * <p>A module that uses a facility this host does not support is skipped, said once, and counted
 * ({@link #skippedModules()}): the application runs on (fail open).
 */
public final class LeanInstaller {

  /** Overrides of these {@link InstrumentationModule} / experimental methods are not supported here. */
  static final List<String> UNSUPPORTED_METHODS =
      List.of("isHelperClass", "registerHelperResources", "injectedClassNames", "exposedClassNames", "agentPackagesToHide");

  private static final AtomicInteger installedModules = new AtomicInteger();
  private static final AtomicInteger skippedModules = new AtomicInteger();

  private LeanInstaller() {}

  public static int installedModules() {
    return installedModules.get();
  }

  public static int skippedModules() {
    return skippedModules.get();
  }

  /**
   * @param agentJar the agent jar, to be let go of ({@link AgentJarRelease}); null to keep it (a
   *     dynamic attach, where application threads already run)
   * @param hostJar the copy of {@code inmesh/host.jar} this profile runs from
   */
  public static void install(Instrumentation inst, ClassLoader extensionLoader, File agentJar, File hostJar) {
    long t0 = System.nanoTime();
    // first: the whole jar's central directory is then still young garbage
    String released = agentJar == null ? "kept (attached at run time)" : AgentJarRelease.release(inst, agentJar, hostJar);
    ConfigProperties config = new EnvConfigProperties(System.getenv(), System.getProperties());
    Settings settings = Settings.get();
    ElementMatcher<net.bytebuddy.description.type.TypeDescription> ignore =
        ElementMatchers.<net.bytebuddy.description.type.TypeDescription>nameStartsWith("net.bytebuddy.")
            .or(ElementMatchers.nameStartsWith("io.inmesh.agent."))
            .or(ElementMatchers.nameStartsWith("io.inmesh.bootstrap."))
            .or(ElementMatchers.nameStartsWith("io.inmesh.launcher."))
            .or(ElementMatchers.nameStartsWith("io.inmesh.instrumentation."))
            .or(ElementMatchers.nameStartsWith("io.inmesh.shaded."))
            .or(ElementMatchers.nameStartsWith("io.opentelemetry.javaagent."))
            .or(ElementMatchers.nameStartsWith("jdk.internal.reflect."))
            .or(ElementMatchers.nameStartsWith("sun.reflect."))
            .or(ElementMatchers.nameContains("$$Lambda"));
    List<LeanTransformer.Entry> entries = new ArrayList<>();
    List<InstrumentationModule> modules = inmeshModules(extensionLoader);
    modules.sort(Comparator.comparingInt(InstrumentationModule::order));
    Class<?> bootstrapMarker = null;
    try {
      bootstrapMarker = Class.forName("io.inmesh.bootstrap.Mesh", false, null);
    } catch (ClassNotFoundException e) {
      // not on the bootstrap path: LeanLauncher puts it there; nothing to add read edges to
    }
    int types = 0;
    int advices = 0;
    AdviceTypePools advicePools = new AdviceTypePools(extensionLoader);
    LeanFields fields = new LeanFields();
    for (InstrumentationModule m : modules) {
      String name = m.instrumentationName();
      try {
        String unsupported = unsupportedFacility(m);
        if (unsupported != null) {
          skip(name, unsupported);
          continue;
        }
        if (!enabled(m, config)) {
          continue;
        }
        Map<JavaModule, List<String>> opens =
            m instanceof ExperimentalInstrumentationModule
                ? ((ExperimentalInstrumentationModule) m).jpmsModulesToOpen()
                : Collections.emptyMap();
        if (m instanceof ExperimentalInstrumentationModule) {
          ((ExperimentalInstrumentationModule) m).registerVirtualFields(fields::register);
        }
        HelperInjector helpers =
            new HelperInjector(name, m.getAdditionalHelperClassNames(), extensionLoader, inst, opens, bootstrapMarker);
        ElementMatcher.Junction<ClassLoader> moduleLoaders = m.classLoaderMatcher();
        List<Pending> pending = new ArrayList<>();
        for (TypeInstrumentation ti : m.typeInstrumentations()) {
          Pending p = new Pending(ti);
          ti.transform(p);
          if (p.unsupported != null) {
            throw new UnsupportedOperationException(p.unsupported);
          }
          pending.add(p);
        }
        for (Pending p : pending) {
          AgentBuilder.Transformer.ForAdvice advice =
              new AgentBuilder.Transformer.ForAdvice(
                      Advice.withCustomMapping().with(new Advice.AssignReturned.Factory()))
                  .include(extensionLoader)
                  .with(advicePools)
                  .withExceptionHandler(Advice.ExceptionHandler.Default.PRINTING);
          for (Object[] a : p.advices) {
            @SuppressWarnings("unchecked")
            ElementMatcher<? super MethodDescription> methods = (ElementMatcher<? super MethodDescription>) a[0];
            advice = advice.advice(methods, (String) a[1]);
            advices++;
          }
          @SuppressWarnings("unchecked")
          ElementMatcher<ClassLoader> optimization = (ElementMatcher<ClassLoader>) p.type.classLoaderOptimization();
          List<AgentBuilder.Transformer> transformers = new ArrayList<>();
          transformers.add(helpers);
          transformers.add(advice);
          transformers.addAll(p.transformers);
          entries.add(new LeanTransformer.Entry(p.type.typeMatcher(), moduleLoaders.and(optimization), transformers));
          types++;
        }
        installedModules.incrementAndGet();
      } catch (Throwable t) {
        skip(name, t.toString());
      }
    }
    if (!fields.isEmpty()) {
      // before any helper asks VirtualField.find (their static initialisers run on first advice)
      fields.install();
    }
    new LeanTransformer(ignore, entries, new LeanListener(), fields).install(inst);
    if (debug()) {
      System.err.println(
          "[inmesh] mesh profile: "
              + installedModules.get()
              + " modules ("
              + types
              + " types, "
              + advices
              + " advices) installed, "
              + skippedModules.get()
              + " skipped, in "
              + (System.nanoTime() - t0) / 1_000_000
              + " ms; the whole agent jar: "
              + released);
    }
    try {
      MeshAgent.start(settings);
    } catch (Throwable t) {
      System.err.println("[inmesh] error: the mesh failed to start; the application runs without it: " + t);
    }
  }

  /**
   * The modules the extension jar itself declares. Not {@code ServiceLoader.load} over the loader:
   * that would also instantiate the ~300 upstream modules its parent (the agent's loader) declares.
   */
  static List<InstrumentationModule> inmeshModules(ClassLoader extensionLoader) {
    List<InstrumentationModule> modules = new ArrayList<>();
    String service = "META-INF/services/" + InstrumentationModule.class.getName();
    try {
      Enumeration<URL> urls = extensionLoader.getResources(service);
      while (urls.hasMoreElements()) {
        URL url = urls.nextElement();
        if (!url.toString().contains("inmesh-extension")) {
          continue;
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(url.openStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = in.readLine()) != null) {
            int hash = line.indexOf('#');
            String name = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (name.isEmpty()) {
              continue;
            }
            try {
              modules.add(
                  (InstrumentationModule)
                      Class.forName(name, true, extensionLoader).getDeclaredConstructor().newInstance());
            } catch (Throwable t) {
              skip(name, "cannot be loaded: " + t);
            }
          }
        }
      }
    } catch (IOException e) {
      System.err.println("[inmesh] warning: the mesh profile could not list its modules: " + e);
    }
    return modules;
  }

  private static void skip(String module, String why) {
    skippedModules.incrementAndGet();
    System.err.println(
        "[inmesh] warning: module "
            + module
            + " uses what the mesh profile's host does not support ("
            + why
            + "); it is skipped and the application runs without it (INMESH_PROFILE=traced hosts it)");
  }

  /**
   * As the OpenTelemetry agent decides it: {@code otel.instrumentation.<name>.enabled} when set (e.g.
   * {@code OTEL_INSTRUMENTATION_INMESH_TOMCAT_ENABLED=false}), else {@code defaultEnabled(config)}.
   */
  static boolean enabled(InstrumentationModule m, ConfigProperties config) {
    for (String name : m.instrumentationNames()) {
      Boolean explicit = config.getBoolean("otel.instrumentation." + name + ".enabled");
      if (explicit != null && name.startsWith("inmesh")) {
        return explicit;
      }
    }
    return m.defaultEnabled(config);
  }

  /** Null when this host can run the module; otherwise what it cannot do. */
  static String unsupportedFacility(InstrumentationModule m) {
    if (m instanceof ExperimentalInstrumentationModule) {
      ExperimentalInstrumentationModule.HelperClassStrategy s =
          ((ExperimentalInstrumentationModule) m).helperClassStrategy();
      if (s == ExperimentalInstrumentationModule.HelperClassStrategy.ISOLATED) {
        // DEFAULT is INJECTED for inline (non-indy) modules, which is all this host runs
        return "helperClassStrategy " + s;
      }
    } else {
      return "not an ExperimentalInstrumentationModule with helperClassStrategy INJECTED";
    }
    for (Class<?> c = m.getClass(); c != null && c != InstrumentationModule.class; c = c.getSuperclass()) {
      for (Method method : c.getDeclaredMethods()) {
        if (UNSUPPORTED_METHODS.contains(method.getName()) && !method.isSynthetic() && !method.isBridge()) {
          return method.getName();
        }
      }
    }
    return null;
  }

  static boolean debug() {
    String level = System.getProperty("inmesh.log.level", System.getenv("INMESH_LOG_LEVEL"));
    return level != null && level.trim().equalsIgnoreCase("debug");
  }

  /** Records what a {@link TypeInstrumentation} asks for. */
  private static final class Pending implements TypeTransformer {
    final TypeInstrumentation type;
    final List<Object[]> advices = new ArrayList<>();
    final List<AgentBuilder.Transformer> transformers = new ArrayList<>();
    String unsupported;

    Pending(TypeInstrumentation type) {
      this.type = type;
    }

    @Override
    public void applyAdviceToMethod(
        ElementMatcher<? super MethodDescription> methodMatcher,
        Function<Advice.WithCustomMapping, Advice.WithCustomMapping> mappingCustomizer,
        String adviceClassName) {
      if (mappingCustomizer != null && mappingCustomizer != Function.<Advice.WithCustomMapping>identity()) {
        Advice.WithCustomMapping plain = Advice.withCustomMapping();
        if (mappingCustomizer.apply(plain) != plain) {
          unsupported = "a custom advice mapping for " + adviceClassName;
        }
      }
      advices.add(new Object[] {methodMatcher, adviceClassName});
    }

    @Override
    public void applyTransformer(AgentBuilder.Transformer transformer) {
      transformers.add(transformer);
    }
  }
}
