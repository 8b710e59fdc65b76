package io.inmesh.smoke.apps;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The few text helpers the plain test applications share (no JSON library on their class path, on
 * purpose: they stay plain applications that know nothing of inmesh): a field of a flat JSON answer,
 * a query string, a flat map as JSON.
 */
public final class AppText {
  private AppText() {}

  public static String field(String json, String name) {
    String key = "\"" + name + "\":\"";
    int i = json.indexOf(key);
    if (i < 0) {
      return "";
    }
    int end = json.indexOf('"', i + key.length());
    return end < 0 ? "" : json.substring(i + key.length(), end);
  }

  public static String first(Map<String, List<String>> q, String name, String dflt) {
    List<String> v = q.get(name);
    return v == null || v.isEmpty() ? dflt : v.get(0);
  }

  public static Map<String, List<String>> query(String raw) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    if (raw != null) {
      for (String kv : raw.split("&")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          m.computeIfAbsent(kv.substring(0, eq), k -> new ArrayList<>()).add(URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return m;
  }

  public static String toJson(Map<String, ?> m) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, ?> e : m.entrySet()) {
      sb.append(sb.length() > 1 ? "," : "").append('"').append(esc(e.getKey())).append("\":");
      Object v = e.getValue();
      sb.append(v instanceof Number ? v.toString() : "\"" + esc(String.valueOf(v)) + "\"");
    }
    return sb.append('}').toString();
  }

  public static String esc(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        case '\r', '\t' -> sb.append(' ');
        default -> sb.append(c < 0x20 ? ' ' : c);
      }
    }
    return sb.toString();
  }
}
