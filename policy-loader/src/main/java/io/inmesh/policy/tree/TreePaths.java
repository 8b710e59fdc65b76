package io.inmesh.policy.tree;

import java.util.List;
import java.util.Map;

/** Finds the line of a field path ({@code spec.http[0].route[1].weight}) in a located tree. */
public final class TreePaths {
  private TreePaths() {}

  /** The line of the deepest part of {@code path} that exists and has a known line, else {@code fallback}. */
  public static int line(Object root, Locations loc, String path, int fallback) {
    if (path == null || path.isEmpty() || loc == null || loc == Locations.NONE) {
      return fallback;
    }
    Object node = root;
    int best = fallback;
    int i = 0;
    int n = path.length();
    while (i < n && node != null) {
      char c = path.charAt(i);
      if (c == '.') {
        i++;
        continue;
      }
      if (c == '[') {
        int close = path.indexOf(']', i);
        if (close < 0 || !(node instanceof List<?> list)) {
          return best;
        }
        int idx;
        try {
          idx = Integer.parseInt(path.substring(i + 1, close));
        } catch (NumberFormatException e) {
          return best;
        }
        if (idx < 0 || idx >= list.size()) {
          return best;
        }
        int l = loc.lineOfItem(list, idx);
        if (l > 0) {
          best = l;
        }
        node = list.get(idx);
        i = close + 1;
        continue;
      }
      int end = i;
      while (end < n && path.charAt(end) != '.' && path.charAt(end) != '[') {
        end++;
      }
      String key = path.substring(i, end);
      if (!(node instanceof Map<?, ?> map) || !map.containsKey(key)) {
        return best;
      }
      int l = loc.lineOfKey(map, key);
      if (l > 0) {
        best = l;
      }
      node = map.get(key);
      i = end;
    }
    return best;
  }
}
