package io.inmesh.policy.tree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON in and out for the wire (snapshots, API bodies), as plain Map/List trees, on inmesh's own
 * {@link JsonReader} (the agent reads a snapshot at start-up in every application; a JSON library's
 * classes were half of what its extension loads, issue 13). The pretty form is the one the admin and
 * control-plane APIs have always printed: two-space indented objects, {@code "name" : value}, arrays
 * on one line ({@code [ 1, 2 ]}).
 */
public final class JsonTrees {

  private JsonTrees() {}

  @SuppressWarnings("unchecked")
  public static Map<String, Object> readObject(byte[] json) throws IOException {
    JsonReader p = parser(json);
    if (p.nextToken() != JsonReader.Token.START_OBJECT) {
      throw new IOException("expected a JSON object");
    }
    Map<String, Object> m = (Map<String, Object>) readValue(p);
    if (p.nextToken() != null) {
      throw new IOException("unexpected content after the JSON object");
    }
    return m;
  }

  /** A pull parser over {@code json}, with the same limits as {@link #readObject}. */
  public static JsonReader parser(byte[] json) {
    return new JsonReader(json);
  }

  /**
   * The value at the parser's current token as a plain tree: Map (insertion ordered), List, String,
   * Integer/Long/BigInteger, Double, Boolean or null.
   */
  public static Object readValue(JsonReader p) throws IOException {
    JsonReader.Token t = p.currentToken();
    if (t == null) {
      throw new IOException("unexpected end of JSON");
    }
    switch (t) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonReader.Token.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          m.put(name, readValue(p));
        }
        return m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        while (p.nextToken() != JsonReader.Token.END_ARRAY) {
          l.add(readValue(p));
        }
        return l;
      }
      case STRING -> {
        return p.text();
      }
      case INTEGER, DECIMAL -> {
        return p.numberValue();
      }
      case TRUE -> {
        return Boolean.TRUE;
      }
      case FALSE -> {
        return Boolean.FALSE;
      }
      case NULL -> {
        return null;
      }
      default -> throw new IOException("unexpected JSON token " + t + " at offset " + p.position());
    }
  }

  public static byte[] write(Object tree) {
    StringBuilder out = new StringBuilder(256);
    writeValue(out, tree, -1);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  public static String writePretty(Object tree) {
    StringBuilder out = new StringBuilder(256);
    writeValue(out, tree, 0);
    return out.toString();
  }

  /** {@code indent} &lt; 0: compact; otherwise the nesting level of {@code v} in the pretty form. */
  private static void writeValue(StringBuilder out, Object v, int indent) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        out.append(indent < 0 ? "{}" : "{ }");
        return;
      }
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        if (indent >= 0) {
          newline(out, indent + 1);
        }
        writeString(out, String.valueOf(e.getKey()));
        out.append(indent < 0 ? ":" : " : ");
        writeValue(out, e.getValue(), indent < 0 ? -1 : indent + 1);
      }
      if (indent >= 0) {
        newline(out, indent);
      }
      out.append('}');
    } else if (v instanceof Iterable<?> it) {
      boolean first = true;
      out.append('[');
      for (Object o : it) {
        out.append(first ? (indent < 0 ? "" : " ") : (indent < 0 ? "," : ", "));
        first = false;
        writeValue(out, o, indent);
      }
      out.append(indent < 0 ? "]" : " ]");
    } else if (v instanceof Object[] arr) {
      writeValue(out, List.of(arr), indent);
    } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short
        || v instanceof Byte || v instanceof java.math.BigInteger) {
      out.append(v);
    } else if (v instanceof Number n) {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        writeString(out, Double.toString(d)); // JSON has no such number; a string says what it was
      } else {
        out.append(d);
      }
    } else if (v instanceof Enum<?> e) {
      writeString(out, e.name());
    } else {
      writeString(out, v.toString());
    }
  }

  private static void newline(StringBuilder out, int level) {
    out.append('\n');
    for (int i = 0; i < level; i++) {
      out.append("  ");
    }
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** A JSON string: quotes, backslashes and control characters escaped; everything else as is. */
  static void writeString(StringBuilder out, String s) {
    out.append('"');
    int from = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      out.append(s, from, i);
      from = i + 1;
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    out.append(s, from, s.length()).append('"');
  }
}
