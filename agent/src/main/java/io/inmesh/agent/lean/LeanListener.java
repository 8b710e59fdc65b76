package io.inmesh.agent.lean;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.bytebuddy.description.type.TypeDescription;

/**
 * Says, once per type, when the mesh profile could not transform a type it matched (the
 * application runs on with that type untouched: fail open); with {@code INMESH_LOG_LEVEL=debug} also
 * names every type transformed.
 */
final class LeanListener {

  private final Set<String> reported = ConcurrentHashMap.newKeySet();
  private final boolean debug = LeanInstaller.debug();

  /** A type transformed, and how long its transformation took (description, weaving, helpers). */
  void onTransformation(TypeDescription type, ClassLoader loader, long nanos) {
    if (debug) {
      System.err.println(
          "[inmesh] mesh profile: transformed " + type.getName() + " in " + loader + " (" + nanos / 100_000 / 10.0 + " ms)");
    }
  }

  /** A type the mesh profile matched but could not transform: said once per type name. */
  void onError(String typeName, Throwable throwable) {
    if (reported.add(typeName)) {
      System.err.println(
          "[inmesh] warning: the mesh profile could not transform " + typeName + "; it runs unmeshed: " + throwable);
      if (debug) {
        throwable.printStackTrace();
      }
    }
  }
}
