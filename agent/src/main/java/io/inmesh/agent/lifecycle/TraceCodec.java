package io.inmesh.agent.lifecycle;

/**
 * The trace-context header formats the mesh profile reads and writes itself (in the traced profile
 * the upstream OpenTelemetry instrumentations do it, and this codec stays off). Pure functions,
 * no regex, no String.format: a parse reads the header string in place; a write builds exactly one
 * {@code char[]} and the String made from it.
 *
 * <ul>
 *   <li>W3C Trace Context, https://www.w3.org/TR/trace-context/ ("traceparent header field",
 *       "Versioning of traceparent"): {@code version-traceid-parentid-flags}, lower-case hex only;
 *       version {@code ff} is invalid; version {@code 00} is exactly 55 characters; a higher
 *       version may be longer, with a {@code -} after the flags, and is read as version 00; an
 *       all-zero trace id or parent id is invalid.</li>
 *   <li>B3, https://github.com/openzipkin/b3-propagation: single header
 *       {@code b3: traceid-spanid[-sampled[-parentspanid]]} and multi {@code X-B3-TraceId},
 *       {@code X-B3-SpanId}, {@code X-B3-Sampled}, {@code X-B3-Flags}; trace ids of 16 or 32 hex
 *       characters (a 16-character one is padded with zeros on the left, as OpenTelemetry's B3
 *       propagator does); no sampling state counts as not sampled (OpenTelemetry's reading).</li>
 * </ul>
 */
public final class TraceCodec {
  /** {@code OTEL_PROPAGATORS} names, as bits. */
  public static final int TRACECONTEXT = 1;
  public static final int BAGGAGE = 2;
  public static final int B3 = 4;
  public static final int B3MULTI = 8;

  public static final String TRACEPARENT = "traceparent";
  public static final String TRACESTATE = "tracestate";
  public static final String BAGGAGE_HEADER = "baggage";
  public static final String B3_HEADER = "b3";
  public static final String B3_TRACE_ID = "X-B3-TraceId";
  public static final String B3_SPAN_ID = "X-B3-SpanId";
  public static final String B3_SAMPLED = "X-B3-Sampled";
  public static final String B3_FLAGS = "X-B3-Flags";

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private TraceCodec() {}

  /**
   * The propagators an {@code OTEL_PROPAGATORS} value names (comma separated, OpenTelemetry's
   * default {@code tracecontext,baggage} when null or blank; {@code none} alone: none). Names the
   * mesh profile does not speak (jaeger, xray, ottrace) are left out; {@code unknown} collects them.
   */
  public static int propagators(String value, StringBuilder unknown) {
    if (value == null || value.isBlank()) {
      return TRACECONTEXT | BAGGAGE;
    }
    int bits = 0;
    for (String part : value.split(",")) {
      String p = part.trim();
      switch (p) {
        case "tracecontext" -> bits |= TRACECONTEXT;
        case "baggage" -> bits |= BAGGAGE;
        case "b3" -> bits |= B3;
        case "b3multi" -> bits |= B3MULTI;
        case "none", "" -> {}
        default -> {
          if (unknown != null) {
            unknown.append(unknown.length() == 0 ? "" : ",").append(p);
          }
        }
      }
    }
    return bits;
  }

  /** The propagator bits as {@code OTEL_PROPAGATORS} names them, comma separated. */
  public static String names(int bits) {
    StringBuilder b = new StringBuilder();
    String[] names = {"tracecontext", "baggage", "b3", "b3multi"};
    for (int i = 0; i < names.length; i++) {
      if ((bits & (1 << i)) != 0) {
        b.append(b.length() == 0 ? "" : ",").append(names[i]);
      }
    }
    return b.toString();
  }

  /** Parsed ids: the target a parse writes into (an {@link InboundContext} in the engine). */
  public interface Ids {
    void ids(long traceHi, long traceLo, int flags);
  }

  /** Reads a W3C {@code traceparent}; false (and {@code out} untouched) when it is invalid. */
  public static boolean parseTraceparent(String h, Ids out) {
    if (h == null || h.length() < 55) {
      return false;
    }
    if (!isHex(h, 0, 2) || h.charAt(2) != '-' || h.charAt(35) != '-' || h.charAt(52) != '-' || !isHex(h, 53, 2)) {
      return false;
    }
    char v0 = h.charAt(0);
    char v1 = h.charAt(1);
    if (v0 == 'f' && v1 == 'f') {
      return false; // version 255 is invalid
    }
    if (v0 == '0' && v1 == '0') {
      if (h.length() != 55) {
        return false;
      }
    } else if (h.length() > 55 && h.charAt(55) != '-') {
      return false; // a future version's extra fields follow a dash
    }
    if (!isHex(h, 3, 32) || !isHex(h, 36, 16)) {
      return false;
    }
    long hi = hex(h, 3, 16);
    long lo = hex(h, 19, 16);
    long parent = hex(h, 36, 16);
    if ((hi | lo) == 0 || parent == 0) {
      return false;
    }
    out.ids(hi, lo, (int) hex(h, 53, 2));
    return true;
  }

  /** Reads a single {@code b3} header; false when it carries no valid ids (e.g. a bare {@code 0}). */
  public static boolean parseB3(String h, Ids out) {
    if (h == null) {
      return false;
    }
    int n = h.length();
    int traceLen;
    if (n >= 33 && h.charAt(32) == '-') {
      traceLen = 32;
    } else if (n >= 17 && h.charAt(16) == '-') {
      traceLen = 16;
    } else {
      return false;
    }
    int span = traceLen + 1;
    if (n < span + 16 || (n > span + 16 && h.charAt(span + 16) != '-') || !isHex(h, 0, traceLen) || !isHex(h, span, 16)) {
      return false;
    }
    int flags = 0;
    if (n > span + 16) {
      int s = span + 17;
      int end = h.indexOf('-', s);
      if (end < 0) {
        end = n;
      }
      if (end - s != 1) {
        return false;
      }
      char c = h.charAt(s);
      if (c == '1' || c == 'd') {
        flags = 1;
      } else if (c != '0') {
        return false;
      }
      if (end < n && (n - end - 1 != 16 || !isHex(h, end + 1, 16))) {
        return false; // the parent span id, when present, is 16 hex
      }
    }
    return ids(h, traceLen, hex(h, span, 16), flags, out);
  }

  /** Reads {@code X-B3-TraceId}, {@code X-B3-SpanId}, {@code X-B3-Sampled}, {@code X-B3-Flags}. */
  public static boolean parseB3Multi(String traceId, String spanId, String sampled, String debug, Ids out) {
    if (traceId == null || spanId == null || (traceId.length() != 32 && traceId.length() != 16)) {
      return false;
    }
    if (spanId.length() != 16 || !isHex(traceId, 0, traceId.length()) || !isHex(spanId, 0, 16)) {
      return false;
    }
    int flags = "1".equals(debug) || "1".equals(sampled) || "true".equalsIgnoreCase(sampled) ? 1 : 0;
    return ids(traceId, traceId.length(), hex(spanId, 0, 16), flags, out);
  }

  private static boolean ids(String h, int traceLen, long span, int flags, Ids out) {
    long hi = traceLen == 32 ? hex(h, 0, 16) : 0;
    long lo = hex(h, traceLen - 16, 16);
    if ((hi | lo) == 0 || span == 0) {
      return false;
    }
    out.ids(hi, lo, flags);
    return true;
  }

  /** {@code 00-<trace>-<span>-<flags>}. */
  public static String traceparent(long traceHi, long traceLo, long span, int flags) {
    char[] c = new char[55];
    c[0] = '0';
    c[1] = '0';
    c[2] = '-';
    hex(traceHi, c, 3);
    hex(traceLo, c, 19);
    c[35] = '-';
    hex(span, c, 36);
    c[52] = '-';
    c[53] = HEX[(flags >> 4) & 0xf];
    c[54] = HEX[flags & 0xf];
    return new String(c);
  }

  /** {@code <trace>-<span>-<1|0>}, as OpenTelemetry's B3 propagator writes it. */
  public static String b3(long traceHi, long traceLo, long span, int flags) {
    char[] c = new char[51];
    hex(traceHi, c, 0);
    hex(traceLo, c, 16);
    c[32] = '-';
    hex(span, c, 33);
    c[49] = '-';
    c[50] = (flags & 1) != 0 ? '1' : '0';
    return new String(c);
  }

  /** 32 lower-case hex characters. */
  public static String traceId(long hi, long lo) {
    char[] c = new char[32];
    hex(hi, c, 0);
    hex(lo, c, 16);
    return new String(c);
  }

  /** 16 lower-case hex characters. */
  public static String spanId(long span) {
    char[] c = new char[16];
    hex(span, c, 0);
    return new String(c);
  }

  private static void hex(long v, char[] out, int at) {
    for (int i = 15; i >= 0; i--) {
      out[at + i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
  }

  /** Lower-case hex only: the W3C grammar's HEXDIGLC (upper case is invalid). */
  private static boolean isHex(String s, int from, int len) {
    if (s.length() < from + len) {
      return false;
    }
    for (int i = from; i < from + len; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static long hex(String s, int from, int len) {
    long v = 0;
    for (int i = from; i < from + len; i++) {
      char c = s.charAt(i);
      v = (v << 4) | (c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return v;
  }
}
