package io.inmesh.policy.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** inmesh's own JSON reader and writer (RFC 8259), which replaced Jackson's streaming core (issue 13). */
class JsonTreesTest {

  private static Map<String, Object> read(String json) throws IOException {
    return JsonTrees.readObject(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void everyKindOfValueReadsAsAPlainTreeInDocumentOrder() throws IOException {
    Map<String, Object> m =
        read(" {\"z\": 1, \"a\" : [true, false, null, \"s\", -0.5e3, 3000000000, 1180591620717411303424, {}, []],"
            + "\n\t\"max\": 9223372036854775807, \"min\": -9223372036854775808, \"zero\": 0, \"f\": 1.25} ");
    assertThat(m.keySet()).containsExactly("z", "a", "max", "min", "zero", "f");
    assertThat(m.get("z")).isEqualTo(1);
    assertThat(m.get("a")).asList()
        .containsExactly((Object) true, false, null, "s", -500.0, 3_000_000_000L, BigInteger.TWO.pow(70), Map.of(), List.of());
    assertThat(m.get("max")).isEqualTo(Long.MAX_VALUE);
    assertThat(m.get("min")).isEqualTo(Long.MIN_VALUE);
    assertThat(m.get("zero")).isEqualTo(0);
    assertThat(m.get("f")).isEqualTo(1.25);
  }

  @Test
  void stringsDecodeEveryEscapeAndRawUtf8() throws IOException {
    Map<String, Object> m = read("{\"s\": \"\\u00e9\\n\\\"\\\\\\/\\b\\f\\r\\t\\ud83d\\ude00\", \"raw\": \"é😀 ok\", \"k\\u0041\": 1}");
    assertThat(m.get("s")).isEqualTo("é\n\"\\/\b\f\r\t😀");
    assertThat(m.get("raw")).isEqualTo("é😀 ok");
    assertThat(m).containsKey("kA");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", " ", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{'a':1}", "{a:1}", "{,}", "{\"a\":1} x", "{\"a\":1}{}",
        "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":[,1]}", "{\"a\":[1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}",
        "{\"a\":.5}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":NaN}", "{\"a\":\"x}", "{\"a\":\"\\q\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":\"tab\there\"}", "{\"a\":1 /* no comments */}", "[1]", "\"just a string\""
      })
  void malformedOrNonObjectInputIsRefusedWithAnError(String json) {
    assertThatThrownBy(() -> read(json)).isInstanceOf(IOException.class).hasMessageContaining(
        json.startsWith("[") || json.startsWith("\"j") ? "expected a JSON object" : "offset");
  }

  @Test
  void nestingIsBoundedAt200() throws IOException {
    String ok = "{\"a\":" + "[".repeat(199) + "]".repeat(199) + "}";
    assertThat(read(ok)).containsKey("a");
    String deep = "{\"a\":" + "[".repeat(200) + "]".repeat(200) + "}";
    assertThatThrownBy(() -> read(deep)).isInstanceOf(IOException.class).hasMessageContaining("nested deeper than 200");
  }

  @Test
  void skipChildrenPassesOverAWholeValue() throws IOException {
    JsonReader p = JsonTrees.parser("{\"skip\": {\"x\": [1, {\"y\": []}]}, \"keep\": \"v\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(p.nextToken()).isEqualTo(JsonReader.Token.START_OBJECT);
    assertThat(p.nextToken()).isEqualTo(JsonReader.Token.FIELD_NAME);
    assertThat(p.currentName()).isEqualTo("skip");
    p.nextToken();
    p.skipChildren();
    assertThat(p.nextToken()).isEqualTo(JsonReader.Token.FIELD_NAME);
    assertThat(p.currentName()).isEqualTo("keep");
    assertThat(p.nextToken()).isEqualTo(JsonReader.Token.STRING);
    assertThat(p.text()).isEqualTo("v");
    assertThat(p.nextToken()).isEqualTo(JsonReader.Token.END_OBJECT);
    assertThat(p.nextToken()).isNull();
  }

  @Test
  void whatIsWrittenReadsBackTheSame() throws IOException {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("s", "quote\" backslash\\ newline\n control\u0001 é 😀 \u2028");
    tree.put("n", List.of(1, -2L, 2.5, BigInteger.TEN.pow(30), true, false));
    tree.put("nested", Map.of("empty", Map.of(), "list", List.of()));
    tree.put("null", null);
    byte[] compact = JsonTrees.write(tree);
    assertThat(new String(compact, StandardCharsets.UTF_8)).startsWith("{\"s\":\"quote\\\" backslash\\\\ newline\\n control\\u0001 é");
    Map<String, Object> back = JsonTrees.readObject(compact);
    assertThat(back.get("s")).isEqualTo(tree.get("s"));
    assertThat(back.get("n")).asList().containsExactly((Object) 1, -2, 2.5, BigInteger.TEN.pow(30), true, false);
    assertThat(back.get("nested")).isEqualTo(tree.get("nested"));
    assertThat(back).containsEntry("null", null);
    assertThat(JsonTrees.readObject(JsonTrees.writePretty(tree).getBytes(StandardCharsets.UTF_8))).isEqualTo(back);
  }

  /** The form the admin and control-plane APIs printed with Jackson's default pretty printer, kept. */
  @Test
  void thePrettyFormIsTheOneTheApisHaveAlwaysPrinted() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("b", 1);
    inner.put("e", List.of());
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("a", List.of(inner, 2.5));
    tree.put("c", Map.of());
    tree.put("s", "x");
    assertThat(JsonTrees.writePretty(tree))
        .isEqualTo("{\n  \"a\" : [ {\n    \"b\" : 1,\n    \"e\" : [ ]\n  }, 2.5 ],\n  \"c\" : { },\n  \"s\" : \"x\"\n}");
  }
}
