package io.inmesh.policy.tree;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * A pull parser for JSON (RFC 8259) in UTF-8, token by token, for the wire (snapshots, API bodies).
 *
 * <p>inmesh's own, not a library's: the agent decodes a snapshot at start-up in every application it
 * joins, and Jackson's streaming core was 81 classes and 670 KB of class files there, about half of
 * everything the extension loads (issue 13). Strict as Jackson is by default: no comments, no
 * trailing commas, no {@code NaN}, no unescaped control characters in strings, nothing after the
 * root value; nesting and string length are bounded ({@link #MAX_DEPTH}, {@link #MAX_STRING_BYTES}).
 * Every error is an {@link IOException} naming the byte offset.
 */
public final class JsonReader {

  public static final int MAX_DEPTH = 200;
  public static final int MAX_STRING_BYTES = 8 * 1024 * 1024;

  /** What {@link #nextToken()} found. */
  public enum Token {
    START_OBJECT,
    END_OBJECT,
    START_ARRAY,
    END_ARRAY,
    FIELD_NAME,
    STRING,
    INTEGER,
    DECIMAL,
    TRUE,
    FALSE,
    NULL;

    public boolean isNumeric() {
      return this == INTEGER || this == DECIMAL;
    }

    boolean isStart() {
      return this == START_OBJECT || this == START_ARRAY;
    }
  }

  private final byte[] in;
  private int pos;
  /** Per open container: true for an object. */
  private final boolean[] objects = new boolean[MAX_DEPTH + 1];
  private int depth;
  /** In an object, the next token is a field name (or its end); in an array, a value (or its end). */
  private boolean expectKey;
  /** A value or field name already read in the current container: a comma must come before the next. */
  private boolean afterValue;
  private boolean rootDone;
  private Token current;
  private String name;
  private String text;

  public JsonReader(byte[] json) {
    this.in = json;
  }

  public Token currentToken() {
    return current;
  }

  /** The field name of the current member (the last {@link Token#FIELD_NAME} in this object). */
  public String currentName() {
    return name;
  }

  /** The text of the current string, field name or number. */
  public String text() {
    return text;
  }

  /** The current integer as Integer, Long or BigInteger (the smallest that holds it), a decimal as Double. */
  public Number numberValue() throws IOException {
    if (current == Token.DECIMAL) {
      return Double.parseDouble(text);
    }
    if (current != Token.INTEGER) {
      throw error("not a number: " + current);
    }
    int digits = text.length() - (text.charAt(0) == '-' ? 1 : 0);
    if (digits <= 18) {
      long v = Long.parseLong(text);
      return v == (int) v ? (Number) Integer.valueOf((int) v) : (Number) Long.valueOf(v);
    }
    BigInteger b = new BigInteger(text);
    return b.bitLength() < 64 ? (Number) Long.valueOf(b.longValue()) : b;
  }

  public long longValue() throws IOException {
    Number n = numberValue();
    if (n instanceof BigInteger) {
      throw error("number out of range of a long: " + text);
    }
    return n.longValue();
  }

  public double doubleValue() throws IOException {
    return numberValue().doubleValue();
  }

  /** The offset of the next byte to read. */
  public int position() {
    return pos;
  }

  /** If the current token opens an object or array, reads up to and including its end. */
  public void skipChildren() throws IOException {
    if (current == null || !current.isStart()) {
      return;
    }
    int level = 1;
    while (level > 0) {
      Token t = nextToken();
      if (t == null) {
        throw error("unexpected end of JSON");
      }
      if (t.isStart()) {
        level++;
      } else if (t == Token.END_OBJECT || t == Token.END_ARRAY) {
        level--;
      }
    }
  }

  /** The next token; null once the root value is complete and only whitespace follows. */
  public Token nextToken() throws IOException {
    skipWhitespace();
    if (pos >= in.length) {
      if (depth > 0 || !rootDone) {
        throw error("unexpected end of JSON");
      }
      return current = null;
    }
    if (rootDone && depth == 0) {
      throw error("unexpected content after the root value");
    }
    byte b = in[pos];
    if (depth > 0) {
      boolean object = objects[depth - 1];
      // an object closes before a field name, never between a name and its value
      if (b == (object ? '}' : ']') && (!object || expectKey)) {
        pos++;
        return close();
      }
      if (afterValue) {
        if (b != ',') {
          throw error("expected ',' or '" + (object ? '}' : ']') + "' but found " + describe(b));
        }
        pos++;
        skipWhitespace();
        if (pos >= in.length) {
          throw error("unexpected end of JSON");
        }
        b = in[pos];
      }
      if (object && expectKey) {
        if (b != '"') {
          throw error("expected a field name but found " + describe(b));
        }
        pos++;
        name = text = readString();
        skipWhitespace();
        if (pos >= in.length || in[pos] != ':') {
          throw error("expected ':' after the field name \"" + name + "\"");
        }
        pos++;
        expectKey = false;
        afterValue = false;
        return current = Token.FIELD_NAME;
      }
    }
    return value(b);
  }

  private Token close() {
    depth--;
    rootDone = depth == 0;
    afterValue = true;
    expectKey = depth > 0 && objects[depth - 1];
    text = null;
    return current = objects[depth] ? Token.END_OBJECT : Token.END_ARRAY;
  }

  /** A value starts at {@code b}: the current container then expects a comma or its end. */
  private Token value(byte b) throws IOException {
    Token t;
    switch (b) {
      case '{', '[' -> {
        if (depth == MAX_DEPTH) {
          throw error("JSON nested deeper than " + MAX_DEPTH);
        }
        pos++;
        boolean object = b == '{';
        objects[depth++] = object;
        expectKey = object;
        afterValue = false;
        text = null;
        return current = object ? Token.START_OBJECT : Token.START_ARRAY;
      }
      case '"' -> {
        pos++;
        text = readString();
        t = Token.STRING;
      }
      case 't' -> t = literal("true", Token.TRUE);
      case 'f' -> t = literal("false", Token.FALSE);
      case 'n' -> t = literal("null", Token.NULL);
      default -> {
        if (b == '-' || (b >= '0' && b <= '9')) {
          t = readNumber();
        } else {
          throw error("unexpected " + describe(b));
        }
      }
    }
    afterValue = true;
    if (depth == 0) {
      rootDone = true;
    } else {
      expectKey = objects[depth - 1];
    }
    return current = t;
  }

  private Token literal(String word, Token t) throws IOException {
    int n = word.length();
    if (pos + n > in.length) {
      throw error("unexpected end of JSON");
    }
    for (int i = 0; i < n; i++) {
      if (in[pos + i] != word.charAt(i)) {
        throw error("unexpected " + describe(in[pos]));
      }
    }
    pos += n;
    text = word;
    return t;
  }

  private Token readNumber() throws IOException {
    int start = pos;
    if (in[pos] == '-') {
      pos++;
    }
    if (pos >= in.length || !digit(in[pos])) {
      throw error("a number needs a digit");
    }
    if (in[pos] == '0') {
      pos++;
      if (pos < in.length && digit(in[pos])) {
        throw error("a number cannot start with 0");
      }
    } else {
      while (pos < in.length && digit(in[pos])) {
        pos++;
      }
    }
    boolean decimal = false;
    if (pos < in.length && in[pos] == '.') {
      decimal = true;
      pos++;
      digits();
    }
    if (pos < in.length && (in[pos] == 'e' || in[pos] == 'E')) {
      decimal = true;
      pos++;
      if (pos < in.length && (in[pos] == '+' || in[pos] == '-')) {
        pos++;
      }
      digits();
    }
    text = new String(in, start, pos - start, StandardCharsets.ISO_8859_1);
    return decimal ? Token.DECIMAL : Token.INTEGER;
  }

  private void digits() throws IOException {
    if (pos >= in.length || !digit(in[pos])) {
      throw error("a number needs a digit");
    }
    while (pos < in.length && digit(in[pos])) {
      pos++;
    }
  }

  private static boolean digit(byte b) {
    return b >= '0' && b <= '9';
  }

  /** From after the opening quote to after the closing one. */
  private String readString() throws IOException {
    int start = pos;
    boolean ascii = true;
    while (pos < in.length) {
      byte b = in[pos];
      if (b == '"') {
        checkLength(pos - start);
        String s = new String(in, start, pos - start, ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
        pos++;
        return s;
      }
      if (b == '\\') {
        return readEscaped(start);
      }
      if (b >= 0 && b < 0x20) {
        throw error("unescaped control character in a string");
      }
      ascii &= b >= 0;
      pos++;
    }
    throw error("unterminated string");
  }

  /** The slow path: a string with escapes, decoded into bytes then UTF-8. */
  private String readEscaped(int start) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(pos - start + 16);
    out.write(in, start, pos - start);
    while (pos < in.length) {
      byte b = in[pos++];
      if (b == '"') {
        checkLength(out.size());
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
      }
      if (b >= 0 && b < 0x20) {
        throw error("unescaped control character in a string");
      }
      if (b != '\\') {
        out.write(b);
        continue;
      }
      if (pos >= in.length) {
        break;
      }
      byte e = in[pos++];
      switch (e) {
        case '"', '\\', '/' -> out.write(e);
        case 'b' -> out.write('\b');
        case 'f' -> out.write('\f');
        case 'n' -> out.write('\n');
        case 'r' -> out.write('\r');
        case 't' -> out.write('\t');
        case 'u' -> {
          String chars = String.valueOf(hex4());
          // a surrogate pair is two escapes; encoded to UTF-8 together
          if (Character.isHighSurrogate(chars.charAt(0)) && pos + 6 <= in.length && in[pos] == '\\' && in[pos + 1] == 'u') {
            pos += 2;
            chars += hex4();
          }
          out.writeBytes(chars.getBytes(StandardCharsets.UTF_8));
        }
        default -> throw error("unknown escape \\" + (char) (e & 0xff) + " in a string");
      }
      checkLength(out.size());
    }
    throw error("unterminated string");
  }

  private char hex4() throws IOException {
    if (pos + 4 > in.length) {
      throw error("unterminated string");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(in[pos++], 16);
      if (d < 0) {
        throw error("bad \\u escape in a string");
      }
      v = v << 4 | d;
    }
    return (char) v;
  }

  private void checkLength(int bytes) throws IOException {
    if (bytes > MAX_STRING_BYTES) {
      throw error("string longer than " + MAX_STRING_BYTES + " bytes");
    }
  }

  private void skipWhitespace() {
    while (pos < in.length) {
      byte b = in[pos];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        return;
      }
      pos++;
    }
  }

  private static String describe(byte b) {
    return b >= 0x20 && b < 0x7f ? "'" + (char) b + "'" : "byte 0x" + Integer.toHexString(b & 0xff);
  }

  private IOException error(String what) {
    return new IOException(what + " at offset " + pos);
  }
}
