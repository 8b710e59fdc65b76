package io.inmesh.control.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Typed reads of a JSON request body; a wrong or missing field is a 400 that names the field. */
public final class JsonFields {

  private final Map<String, Object> map;

  JsonFields(Map<String, Object> map) {
    this.map = map;
  }

  /** The parsed object, for nested fields. */
  public Map<String, Object> raw() {
    return map;
  }

  public String requiredString(String field, String hint) {
    String s = optionalString(field);
    if (s == null || s.isEmpty()) {
      throw ApiException.badRequest("missing \"" + field + "\"", hint);
    }
    return s;
  }

  public String optionalString(String field) {
    Object v = map.get(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw ApiException.badRequest("\"" + field + "\" must be a string, got " + v, "quote it");
    }
    return s;
  }

  public Long optionalLong(String field) {
    Object v = map.get(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || n.doubleValue() != n.longValue()) {
      throw ApiException.badRequest("\"" + field + "\" must be an integer, got " + v, null);
    }
    return n.longValue();
  }

  public Boolean optionalBoolean(String field) {
    Object v = map.get(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Boolean b)) {
      throw ApiException.badRequest("\"" + field + "\" must be true or false, got " + v, null);
    }
    return b;
  }

  public List<Integer> ports(String field) {
    Object v = map.get(field);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> list)) {
      throw ApiException.badRequest("\"" + field + "\" must be a list of ports, got " + v, "e.g. [8080]");
    }
    List<Integer> out = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof Integer p) || p < 1 || p > 65535) {
        throw ApiException.badRequest("\"" + field + "\" has " + o + ", not a port 1..65535", "e.g. [8080]");
      }
      out.add(p);
    }
    return out;
  }

  public Map<String, String> stringMap(String field) {
    Object v = map.get(field);
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw ApiException.badRequest("\"" + field + "\" must be an object of strings, got " + v, "e.g. {\"version\":\"v1\"}");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw ApiException.badRequest(
            "\"" + field + "." + e.getKey() + "\" must be a string, got " + e.getValue(), "quote label values");
      }
      out.put(String.valueOf(e.getKey()), s);
    }
    return out;
  }
}
