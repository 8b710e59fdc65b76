package io.inmesh.policy.tree;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Line numbers of a parsed document, kept beside the plain Map/List tree (a tree model alone
 * loses them). Containers are identified by identity. Documents that arrive as JSON over the wire
 * have no locations ({@link #NONE}).
 */
public final class Locations {
  public static final Locations NONE = new Locations();

  private final IdentityHashMap<Object, Integer> containerLines = new IdentityHashMap<>();
  private final IdentityHashMap<Object, Map<String, Integer>> keyLines = new IdentityHashMap<>();
  private final IdentityHashMap<Object, int[]> itemLines = new IdentityHashMap<>();

  void container(Object container, int line) {
    containerLines.put(container, line);
  }

  void key(Map<?, ?> map, Map<String, Integer> lines) {
    keyLines.put(map, lines);
  }

  void items(List<?> list, int[] lines) {
    itemLines.put(list, lines);
  }

  /** The line where a map or list starts, 0 when unknown. */
  public int lineOf(Object container) {
    if (this == NONE || container == null) {
      return 0;
    }
    Integer l = containerLines.get(container);
    return l == null ? 0 : l;
  }

  /** The line of a key inside a map, 0 when unknown. */
  public int lineOfKey(Object map, String key) {
    if (this == NONE || map == null) {
      return 0;
    }
    Map<String, Integer> m = keyLines.get(map);
    Integer l = m == null ? null : m.get(key);
    return l == null ? 0 : l;
  }

  /** The line of a list item, 0 when unknown. */
  public int lineOfItem(Object list, int index) {
    if (this == NONE || list == null) {
      return 0;
    }
    int[] l = itemLines.get(list);
    return l == null || index >= l.length ? 0 : l[index];
  }
}
