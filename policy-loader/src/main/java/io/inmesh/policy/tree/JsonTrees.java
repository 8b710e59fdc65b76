package io.inmesh.policy.tree;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** JSON in and out for the wire (snapshots, API bodies), as plain Map/List trees. */
public final class JsonTrees {

  private static final ObjectMapper MAPPER = newMapper();

  private JsonTrees() {}

  private static ObjectMapper newMapper() {
    ObjectMapper m = new ObjectMapper();
    m.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(200).maxStringLength(8 * 1024 * 1024).build());
    m.disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    return m;
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> readObject(byte[] json) throws IOException {
    Object v = MAPPER.readValue(json, Object.class);
    if (!(v instanceof Map)) {
      throw new IOException("expected a JSON object");
    }
    return (Map<String, Object>) v;
  }

  /** A streaming parser over {@code json}, with the same limits as {@link #readObject}. */
  public static com.fasterxml.jackson.core.JsonParser parser(byte[] json) throws IOException {
    return MAPPER.createParser(json);
  }

  /** The value at the parser's current token as a plain tree (Map, List, String, Number, Boolean, null). */
  public static Object readValue(com.fasterxml.jackson.core.JsonParser p) throws IOException {
    return MAPPER.readValue(p, Object.class);
  }

  public static byte[] write(Object tree) {
    try {
      return MAPPER.writeValueAsBytes(tree);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String writePretty(Object tree) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
