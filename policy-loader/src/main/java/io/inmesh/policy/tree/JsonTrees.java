package io.inmesh.policy.tree;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON in and out for the wire (snapshots, API bodies), as plain Map/List trees, on Jackson's
 * streaming core alone: the agent reads a snapshot at start-up in every application, and the data
 * binding layer would add a thousand classes and its warm-up to that for nothing.
 */
public final class JsonTrees {

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder().maxNestingDepth(200).maxStringLength(8 * 1024 * 1024).build())
          .build();

  private JsonTrees() {}

  @SuppressWarnings("unchecked")
  public static Map<String, Object> readObject(byte[] json) throws IOException {
    try (JsonParser p = parser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("expected a JSON object");
      }
      Map<String, Object> m = (Map<String, Object>) readValue(p);
      if (p.nextToken() != null) {
        throw new IOException("unexpected content after the JSON object");
      }
      return m;
    }
  }

  /** A streaming parser over {@code json}, with the same limits as {@link #readObject}. */
  public static JsonParser parser(byte[] json) throws IOException {
    return FACTORY.createParser(json);
  }

  /**
   * The value at the parser's current token as a plain tree: Map (insertion ordered), List, String,
   * Integer/Long/BigInteger, Double, Boolean or null.
   */
  public static Object readValue(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == null) {
      throw new IOException("unexpected end of JSON");
    }
    switch (t) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          m.put(name, readValue(p));
        }
        return m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          l.add(readValue(p));
        }
        return l;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT -> {
        return p.getNumberValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return p.getDoubleValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new IOException("unexpected JSON token " + t);
    }
  }

  public static byte[] write(Object tree) {
    return toBytes(tree, false);
  }

  public static String writePretty(Object tree) {
    return new String(toBytes(tree, true), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static byte[] toBytes(Object tree, boolean pretty) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      if (pretty) {
        g.useDefaultPrettyPrinter();
      }
      writeValue(g, tree);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void writeValue(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        g.writeFieldName(String.valueOf(e.getKey()));
        writeValue(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof Iterable<?> it) {
      g.writeStartArray();
      for (Object o : it) {
        writeValue(g, o);
      }
      g.writeEndArray();
    } else if (v instanceof Object[] arr) {
      writeValue(g, List.of(arr));
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof java.math.BigInteger bi) {
      g.writeNumber(bi);
    } else if (v instanceof Number n) {
      g.writeNumber(n.doubleValue());
    } else if (v instanceof Enum<?> e) {
      g.writeString(e.name());
    } else {
      g.writeString(v.toString());
    }
  }
}
