package io.inmesh.agent.lean;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.TypeResolutionStrategy;
import net.bytebuddy.dynamic.VisibilityBridgeStrategy;
import net.bytebuddy.dynamic.scaffold.InstrumentedType;
import net.bytebuddy.dynamic.scaffold.MethodGraph;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.pool.TypePool;
import net.bytebuddy.utility.JavaModule;

/**
 * The mesh profile's class file transformer: what {@code AgentBuilder.Default} with
 * {@code disableClassFormatChanges()}, {@code RETRANSFORMATION} and the {@code HYBRID} description
 * strategy did for inmesh's modules, without Byte Buddy's {@code ExecutingTransformer}, whose class
 * initialiser generates a subclass (Byte Buddy's own subclassing machinery, a few hundred classes)
 * in premain of every JVM the agent joins. Issue 13: that set-up was about a third of the mesh
 * profile's premain (a sampling of premain's thread, bench/README.md).
 *
 * <p>Per class loaded: first a set probe of its name against the names the type matchers can match
 * ({@link TypeNames}; a class no module names costs nothing more), then the ignore matcher and each
 * type's class-loader and type matchers over a lazy description; a match is
 * decorated (read and written once through the advice's visitors: no member added, no class format
 * change, no method registry) and handed to the type's transformers
 * (helper injection, then the advice), in the order the modules declared them. A failure leaves the
 * class as it was (fail open) and is reported once per type by {@link LeanListener}. Re-entry on the
 * same thread (a class loaded while a transformation runs) passes through, as Byte Buddy's
 * circularity lock does.
 */
final class LeanTransformer implements ClassFileTransformer {

  /** One type instrumentation: which loaders, which types, what to apply. */
  static final class Entry {
    final ElementMatcher<? super TypeDescription> type;
    final ElementMatcher<? super ClassLoader> loaders;
    final List<AgentBuilder.Transformer> transformers;

    Entry(ElementMatcher<? super TypeDescription> type, ElementMatcher<? super ClassLoader> loaders, List<AgentBuilder.Transformer> transformers) {
      this.type = type;
      this.loaders = loaders;
      this.transformers = transformers;
    }
  }

  private final ElementMatcher<? super TypeDescription> ignore;
  private final List<Entry> entries;
  private final LeanListener listener;
  private final ThreadLocal<Boolean> busy = new ThreadLocal<>();
  private volatile ByteBuddy byteBuddy;
  /** Internal names ("a/b/C$D") some entry's type matcher names: the only classes worth describing… */
  private final Set<String> candidates = new HashSet<>();
  /** …besides those of entries whose matcher names no class (described where their loaders match). */
  private final List<Entry> unnamed = new ArrayList<>();

  /** Registered virtual fields: slots for the classes that carry them (an instrumented class, first loaded). */
  private final LeanFields fields;

  LeanTransformer(ElementMatcher<? super TypeDescription> ignore, List<Entry> entries, LeanListener listener) {
    this(ignore, entries, listener, new LeanFields());
  }

  LeanTransformer(ElementMatcher<? super TypeDescription> ignore, List<Entry> entries, LeanListener listener, LeanFields fields) {
    this.ignore = ignore;
    this.entries = entries;
    this.listener = listener;
    this.fields = fields;
    for (Entry e : entries) {
      Set<String> names = TypeNames.of(e.type);
      if (names == null) {
        unnamed.add(e);
      } else {
        for (String n : names) {
          candidates.add(n.replace('.', '/'));
        }
      }
    }
  }

  /** Whether a class of this name, in this loader, can match any entry (a set probe for most classes). */
  boolean candidate(String internalName, ClassLoader loader) {
    if (candidates.contains(internalName)) {
      return true;
    }
    for (Entry e : unnamed) {
      if (e.loaders.matches(loader)) {
        return true;
      }
    }
    return false;
  }

  /** How many entries could not be reduced to class names (each makes its loaders' classes described). */
  int unnamedEntries() {
    return unnamed.size();
  }

  /** Registers this transformer, then retransforms the matching classes that were loaded before it. */
  void install(Instrumentation inst) {
    inst.addTransformer(this, true);
    List<Class<?>> loaded = new ArrayList<>();
    for (Class<?> c : inst.getAllLoadedClasses()) {
      try {
        if (!inst.isModifiableClass(c) || c.isArray() || c.isPrimitive() || !candidate(c.getName().replace('.', '/'), c.getClassLoader())) {
          continue;
        }
        TypeDescription type = TypeDescription.ForLoadedType.of(c);
        if (!ignore.matches(type) && matching(type, c.getClassLoader()) != null) {
          loaded.add(c);
        }
      } catch (Throwable t) {
        // a class that cannot even be described is not one of ours
      }
    }
    for (Class<?> c : loaded) {
      try {
        inst.retransformClasses(c);
      } catch (Throwable t) {
        listener.onError(c.getName(), t);
      }
    }
  }

  @Override
  public byte[] transform(
      Module module, ClassLoader loader, String internalName, Class<?> redefined, ProtectionDomain domain, byte[] bytes) {
    if (internalName == null || busy.get() != null || (unnamed.isEmpty() && !candidates.contains(internalName))) {
      return null;
    }
    busy.set(Boolean.TRUE);
    try {
      // the loader matchers of unnamed entries may load classes: under the re-entry guard
      if (!candidate(internalName, loader)) {
        return null;
      }
      long start = System.nanoTime();
      String name = internalName.replace('/', '.');
      JavaModule javaModule = module == null ? null : JavaModule.of(module);
      ClassFileLocator locator =
          new ClassFileLocator.Compound(
              ClassFileLocator.Simple.of(name, bytes), AgentBuilder.LocationStrategy.ForClassLoader.STRONG.classFileLocator(loader, javaModule));
      TypePool pool = AgentBuilder.PoolStrategy.Default.FAST.typePool(locator, loader, name);
      TypeDescription type = redefined != null ? TypeDescription.ForLoadedType.of(redefined) : pool.describe(name).resolve();
      if (ignore.matches(type)) {
        return null;
      }
      List<AgentBuilder.Transformer> transformers = matching(type, loader);
      if (transformers == null) {
        return null;
      }
      // decorated, as the OpenTelemetry agent does (its TypeStrategy DECORATE): the class is read and
      // written once with the advice's visitors, no method registry. Every inmesh transformation is
      // advice; a module's own transformer that added a member would fail its type here, reported
      // once, the class left as it was (fail open). Against redefine-frozen, reactor's Flux (172 KB)
      // went 320 → 197 ms on a cold JVM, most other types to half (issue 13)
      DynamicType.Builder<?> builder = byteBuddy().decorate(type, locator);
      for (AgentBuilder.Transformer t : transformers) {
        builder = t.transform(builder, type, loader, javaModule, domain);
      }
      // after the helper injector, which gave a named module its read edge to inmesh's bootstrap:
      // without that edge the JVM would refuse the class its new interface, so no slots then (fail open)
      int slots = redefined == null ? fields.slots(name) : 0;
      if (slots > 0 && LeanFields.mayHoldSlots(type) && LeanFields.canSee(module)) {
        builder = builder.visit(LeanFields.injector(slots));
      }
      DynamicType.Unloaded<?> made = builder.make(TypeResolutionStrategy.Disabled.INSTANCE, pool);
      byte[] woven = made.getBytes();
      listener.onTransformation(type, loader, System.nanoTime() - start);
      return woven;
    } catch (Throwable t) {
      listener.onError(internalName.replace('/', '.'), t);
      return null;
    } finally {
      busy.remove();
    }
  }

  private List<AgentBuilder.Transformer> matching(TypeDescription type, ClassLoader loader) {
    List<AgentBuilder.Transformer> found = null;
    for (Entry e : entries) {
      if (e.loaders.matches(loader) && e.type.matches(type)) {
        if (found == null) {
          found = new ArrayList<>();
        }
        found.addAll(e.transformers);
      }
    }
    return found;
  }

  private ByteBuddy byteBuddy() {
    ByteBuddy b = byteBuddy;
    if (b == null) {
      // the OpenTelemetry agent's settings (AgentInstaller), so both profiles weave alike: no
      // implementation context (disableClassFormatChanges: no synthetic members), a method graph of
      // the declared methods only, no visibility bridges, a frozen instrumented type; and no type
      // validation, whose visitor stood between the class reader and writer for every method
      // (nothing is added to validate)
      b =
          new ByteBuddy()
              .with(Implementation.Context.Disabled.Factory.INSTANCE)
              .with(MethodGraph.Compiler.ForDeclaredMethods.INSTANCE)
              .with(VisibilityBridgeStrategy.Default.NEVER)
              .with(InstrumentedType.Factory.Default.FROZEN)
              .with(TypeValidation.DISABLED);
      byteBuddy = b;
    }
    return b;
  }
}
