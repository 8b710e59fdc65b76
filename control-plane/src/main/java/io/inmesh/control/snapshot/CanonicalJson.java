package io.inmesh.control.snapshot;

import io.inmesh.policy.tree.JsonTrees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON with every object's keys sorted, so that the same content always has the same bytes: the
 * snapshot version is a hash of this, and must not move when a map's iteration order does (or
 * across restarts). List order is kept: it is meaningful (first matching route wins).
 */
final class CanonicalJson {

  private CanonicalJson() {}

  static byte[] encode(Object tree) {
    return JsonTrees.write(sorted(tree, 0));
  }

  private static Object sorted(Object node, int depth) {
    if (depth > 256) {
      throw new IllegalArgumentException("tree nested deeper than 256 levels");
    }
    if (node instanceof Map<?, ?> m) {
      TreeMap<String, Object> out = new TreeMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.put(String.valueOf(e.getKey()), sorted(e.getValue(), depth + 1));
      }
      return out;
    }
    if (node instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object o : l) {
        out.add(sorted(o, depth + 1));
      }
      return out;
    }
    return node;
  }
}
