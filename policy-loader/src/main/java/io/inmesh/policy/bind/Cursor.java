package io.inmesh.policy.bind;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A position in a document tree: a value, its field path and its line. Typed reads report a
 * finding (with path and line) and return null when the value has the wrong type, so binding goes
 * on and collects every problem of a document in one pass.
 */
public final class Cursor {
  private final Object value;
  /** Built on first use: most cursors are read and dropped without a finding, so no path string. */
  private String path;
  private final Cursor parent;
  private final String key;
  private final int index;
  private final int line;
  private final BindContext ctx;
  private final boolean present;

  private Cursor(Object value, String path, Cursor parent, String key, int index, int line, BindContext ctx, boolean present) {
    this.value = value;
    this.path = path;
    this.parent = parent;
    this.key = key;
    this.index = index;
    this.line = line;
    this.ctx = ctx;
    this.present = present;
  }

  public static Cursor root(Object value, String path, int line, BindContext ctx) {
    return new Cursor(value, path, null, null, -1, line, ctx, true);
  }

  public boolean present() {
    return present && value != null;
  }

  public boolean isMap() {
    return value instanceof Map;
  }

  public boolean isList() {
    return value instanceof List;
  }

  public Object raw() {
    return value;
  }

  public String path() {
    String p = path;
    if (p == null) {
      String base = parent.path();
      p = key != null ? (base.isEmpty() ? key : base + "." + key) : base + "[" + index + "]";
      path = p;
    }
    return p;
  }

  public int line() {
    return line;
  }

  public BindContext context() {
    return ctx;
  }

  /** The child field {@code name} of a map (absent when this is not a map). */
  public Cursor get(String name) {
    if (value instanceof Map<?, ?> m) {
      Object v = m.get(name);
      if (v != null || m.containsKey(name)) {
        int l = ctx.locations().lineOfKey(m, name);
        return new Cursor(v, null, this, name, -1, l == 0 ? line : l, ctx, true);
      }
    }
    return new Cursor(null, null, this, name, -1, line, ctx, false);
  }

  /** Items of a list; reports an error and returns nothing when the value is not a list. */
  public List<Cursor> items() {
    if (!present()) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      typeError("a list");
      return List.of();
    }
    List<Cursor> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      int l = ctx.locations().lineOfItem(list, i);
      out.add(new Cursor(list.get(i), null, this, null, i, l == 0 ? line : l, ctx, true));
    }
    return out;
  }

  /** Entries of a free-form map (labels, headers); errors when the value is not a map. */
  public Map<String, Cursor> entries() {
    if (!present()) {
      return Map.of();
    }
    if (!(value instanceof Map<?, ?> m)) {
      typeError("a map");
      return Map.of();
    }
    Map<String, Cursor> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      String k = String.valueOf(e.getKey());
      int l = ctx.locations().lineOfKey(m, k);
      out.put(k, new Cursor(e.getValue(), null, this, k, -1, l == 0 ? line : l, ctx, true));
    }
    return out;
  }

  /** True when this is a map (errors otherwise, when present). */
  public boolean expectMap() {
    if (!present()) {
      return false;
    }
    if (!(value instanceof Map)) {
      typeError("a map");
      return false;
    }
    return true;
  }

  public String string() {
    if (!present()) {
      return null;
    }
    if (value instanceof String s) {
      return s;
    }
    String hint =
        value instanceof Boolean || value instanceof Number
            ? "quote it: \"" + value + "\" (YAML reads unquoted " + value + " as a " + kind(value) + ")"
            : null;
    ctx.error(line, path(), "must be a string, got " + describe(value), hint);
    return null;
  }

  /** A string map such as labels: every value must be a string. */
  public Map<String, String> stringMap() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Cursor> e : entries().entrySet()) {
      String v = e.getValue().string();
      if (v != null) {
        out.put(e.getKey(), v);
      }
    }
    return Collections.unmodifiableMap(out);
  }

  public List<String> stringList() {
    List<String> out = new ArrayList<>();
    for (Cursor c : items()) {
      String s = c.string();
      if (s != null) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  /** An integer in [min, max]; reports "must be an integer min..max, got ..." otherwise. */
  public Integer integer(long min, long max) {
    if (!present()) {
      return null;
    }
    Long v = null;
    if (value instanceof Integer || value instanceof Long) {
      v = ((Number) value).longValue();
    } else if (value instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
      v = d.longValue();
    }
    if (v == null || v < min || v > max) {
      ctx.error(line, path(), "must be an integer " + min + ".." + max + ", got " + describe(value), null);
      return null;
    }
    return v.intValue();
  }

  /** A number in [min, max] (integers allowed), e.g. a percentage. */
  public Double number(double min, double max) {
    if (!present()) {
      return null;
    }
    if (value instanceof Number n && !(value instanceof Double d && (d.isNaN() || d.isInfinite()))) {
      double v = n.doubleValue();
      if (v >= min && v <= max) {
        return v;
      }
    }
    ctx.error(line, path(), "must be a number " + fmt(min) + ".." + fmt(max) + ", got " + describe(value), null);
    return null;
  }

  /** A port number 1..65535. */
  public Integer port() {
    return integer(1, 65535);
  }

  /**
   * A duration as Istio writes it ({@code 500ms}, {@code 5s}, {@code 1m30s}); Istio requires at
   * least 1ms and millisecond precision, unless {@code zeroAllowed} (fields where 0 disables).
   */
  public java.time.Duration duration(boolean zeroAllowed) {
    if (!present()) {
      return null;
    }
    if (!(value instanceof String s)) {
      ctx.error(
          line,
          path(),
          "must be a duration such as 500ms, 5s or 1m, got " + describe(value),
          value instanceof Number ? "add the unit: \"" + value + "s\"" : null);
      return null;
    }
    java.time.Duration d = Durations.parse(s.trim());
    if (d == null) {
      ctx.error(line, path(), "must be a duration such as 500ms, 5s or 1m, got " + describe(value), null);
      return null;
    }
    if (d.isNegative()) {
      ctx.error(line, path(), "must not be negative, got " + describe(value), null);
      return null;
    }
    if (d.isZero() && zeroAllowed) {
      return d;
    }
    if (d.compareTo(java.time.Duration.ofMillis(1)) < 0) {
      ctx.error(line, path(), "must be at least 1ms, got " + describe(value), "Istio rejects shorter durations");
      return null;
    }
    if (d.toNanos() % 1_000_000 != 0) {
      ctx.error(line, path(), "only millisecond precision is supported, got " + describe(value), null);
      return null;
    }
    return d;
  }

  /** One of {@code allowed} (Istio enums are upper case); errors name the allowed values. */
  public String enumValue(java.util.List<String> allowed) {
    String s = string();
    if (s == null) {
      return null;
    }
    if (allowed.contains(s)) {
      return s;
    }
    String upper = s.toUpperCase(java.util.Locale.ROOT);
    ctx.error(
        line,
        path(),
        "must be one of " + String.join(", ", allowed) + ", got " + describe(value),
        allowed.contains(upper) ? "enum values are upper case: " + upper : null);
    return null;
  }

  /** A non-empty string; errors on "" with {@code what} in the message. */
  public String nonEmptyString(String what) {
    String s = string();
    if (s != null && s.isEmpty()) {
      ctx.error(line, path(), what + " must not be empty", null);
      return null;
    }
    return s;
  }

  /** Reports a field this inmesh version parses but does not act on, saying what happens instead. */
  public void notEnforced(io.inmesh.policy.Enforcement feature) {
    if (present() && !feature.enforced()) {
      ctx.warn(line, path(), feature.notEnforcedMessage(), null);
    }
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  public Boolean bool() {
    if (!present()) {
      return null;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    ctx.error(line, path(), "must be true or false, got " + describe(value), null);
    return null;
  }

  /**
   * Warns about fields of this map that are not in {@code known}. Istio adds fields over time, so
   * an unknown field is a warning, never an error. {@code hints} maps a field to advice (e.g. the
   * Istio name of a field users often get wrong).
   */
  public void checkFields(Set<String> known, Map<String, String> hints) {
    if (!(value instanceof Map<?, ?> m)) {
      return;
    }
    for (Object k : m.keySet()) {
      String key = String.valueOf(k);
      if (!known.contains(key)) {
        Cursor c = get(key);
        String hint = hints == null ? null : hints.get(key);
        ctx.warn(c.line, c.path(), "unknown field \"" + key + "\"; ignored", hint);
      }
    }
  }

  public void error(String message, String hint) {
    ctx.error(line, path(), message, hint);
  }

  public void warn(String message, String hint) {
    ctx.warn(line, path(), message, hint);
  }

  private void typeError(String expected) {
    ctx.error(line, path(), "must be " + expected + ", got " + describe(value), null);
  }

  static String describe(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String s) {
      return "\"" + (s.length() > 60 ? s.substring(0, 57) + "..." : s) + "\"";
    }
    if (v instanceof Map) {
      return "a map";
    }
    if (v instanceof List) {
      return "a list";
    }
    return kind(v) + " " + v;
  }

  private static String kind(Object v) {
    if (v instanceof Boolean) {
      return "boolean";
    }
    if (v instanceof Number) {
      return "number";
    }
    return v.getClass().getSimpleName();
  }
}
