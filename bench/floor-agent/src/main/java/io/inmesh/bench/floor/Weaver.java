package io.inmesh.bench.floor;

import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.Map;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.scaffold.InstrumentedType;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.pool.TypePool;

/**
 * The floor agent's transformer, loaded from the bootstrap path with Byte Buddy: frozen redefinition
 * without an implementation context, as the mesh profile's transformer does, of the classes in
 * {@link #TARGETS}, each target method starting with {@link Enter}.
 */
public final class Weaver implements ClassFileTransformer {

  /** Internal name of a class the pairs' requests go through → the methods that get the advice. */
  static final Map<String, String[]> TARGETS =
      Map.of(
          "sun/net/httpserver/ServerImpl$Exchange", new String[] {"run"},
          "jdk/internal/net/http/HttpClientImpl", new String[] {"send", "sendAsync"},
          "sun/net/www/protocol/http/HttpURLConnection", new String[] {"getInputStream"},
          "org/apache/catalina/connector/CoyoteAdapter", new String[] {"service"});

  private final ThreadLocal<Boolean> busy = new ThreadLocal<>();

  /** Inlined at the start of each target method; its one call resolves from the bootstrap path. */
  public static final class Enter {
    private Enter() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter() {
      Hooks.hit();
    }
  }

  @Override
  public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain, byte[] bytes) {
    String[] methods = name == null ? null : TARGETS.get(name);
    if (methods == null || busy.get() != null) {
      return null;
    }
    busy.set(Boolean.TRUE);
    try {
      String dotted = name.replace('/', '.');
      ClassFileLocator locator =
          new ClassFileLocator.Compound(
              ClassFileLocator.Simple.of(dotted, bytes),
              ClassFileLocator.ForClassLoader.of(loader),
              ClassFileLocator.ForClassLoader.of(ClassLoader.getSystemClassLoader()));
      TypePool pool = TypePool.Default.of(locator);
      byte[] woven =
          new ByteBuddy()
              .with(Implementation.Context.Disabled.Factory.INSTANCE)
              .with(InstrumentedType.Factory.Default.FROZEN)
              .redefine(pool.describe(dotted).resolve(), locator)
              .visit(Advice.to(pool.describe(Enter.class.getName()).resolve(), locator).on(namedOneOf(methods)))
              .make(pool)
              .getBytes();
      System.err.println("[bb-floor] woven " + dotted);
      return woven;
    } catch (Throwable t) {
      System.err.println("[bb-floor] could not weave " + name + ": " + t);
      return null;
    } finally {
      busy.remove();
    }
  }
}
