package io.inmesh.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.InboundRequest;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The mesh profile's own trace-context codec: W3C Trace Context (https://www.w3.org/TR/trace-context/,
 * "traceparent header field" and "Versioning of traceparent") and B3
 * (https://github.com/openzipkin/b3-propagation), and what {@link TracePropagation} writes from what
 * it read.
 */
class TraceCodecTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String VALID = "00-" + TRACE + "-00f067aa0ba902b7-01";

  @AfterEach
  void off() {
    TracePropagation.configure(0);
  }

  private static final class Got implements TraceCodec.Ids {
    long hi;
    long lo;
    int flags = -1;

    @Override
    public void ids(long traceHi, long traceLo, int f) {
      hi = traceHi;
      lo = traceLo;
      flags = f;
    }

    String traceId() {
      return TraceCodec.traceId(hi, lo);
    }
  }

  private static Got w3c(String h) {
    Got g = new Got();
    return TraceCodec.parseTraceparent(h, g) ? g : null;
  }

  @Test
  void w3cValidTraceparentIsReadAndWrittenBackWithTheSameTraceIdAndFlags() {
    Got g = w3c(VALID);
    assertThat(g).isNotNull();
    assertThat(g.traceId()).isEqualTo(TRACE);
    assertThat(g.flags).isEqualTo(1);
    String out = TraceCodec.traceparent(g.hi, g.lo, 0x1234L, g.flags);
    assertThat(out).isEqualTo("00-" + TRACE + "-0000000000001234-01");
    assertThat(w3c(out).traceId()).isEqualTo(TRACE); // round trip
    assertThat(w3c("00-" + TRACE + "-00f067aa0ba902b7-00").flags).isZero();
    assertThat(w3c("00-" + TRACE + "-00f067aa0ba902b7-03").flags).isEqualTo(3); // unknown flag bits kept
  }

  @Test
  void w3cInvalidTraceparentsAreIgnored() {
    assertThat(w3c(null)).isNull();
    assertThat(w3c("")).isNull();
    // version ff is invalid (W3C: "Version ff is invalid")
    assertThat(w3c("ff-" + TRACE + "-00f067aa0ba902b7-01")).isNull();
    // all-zero trace id and all-zero parent id are invalid
    assertThat(w3c("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).isNull();
    assertThat(w3c("00-" + TRACE + "-0000000000000000-01")).isNull();
    // wrong lengths
    assertThat(w3c("00-" + TRACE.substring(1) + "-00f067aa0ba902b7-01")).isNull();
    assertThat(w3c("00-" + TRACE + "-00f067aa0ba902b-01")).isNull();
    assertThat(w3c("00-" + TRACE + "-00f067aa0ba902b7-1")).isNull();
    // version 00 is exactly 55 characters
    assertThat(w3c(VALID + "-extra")).isNull();
    assertThat(w3c(VALID + " ")).isNull();
    // upper-case hex is not HEXDIGLC
    assertThat(w3c("00-" + TRACE.toUpperCase() + "-00f067aa0ba902b7-01")).isNull();
    assertThat(w3c("0G-" + TRACE + "-00f067aa0ba902b7-01")).isNull();
    // wrong separators
    assertThat(w3c("00_" + TRACE + "-00f067aa0ba902b7-01")).isNull();
    assertThat(w3c("00-" + TRACE + "_00f067aa0ba902b7-01")).isNull();
  }

  @Test
  void w3cAHigherVersionIsReadAsVersion00() {
    // "Versioning of traceparent": a higher version may carry more fields after a dash
    assertThat(w3c("01-" + TRACE + "-00f067aa0ba902b7-01").traceId()).isEqualTo(TRACE);
    assertThat(w3c("cc-" + TRACE + "-00f067aa0ba902b7-01-what-the-future-holds").traceId()).isEqualTo(TRACE);
    assertThat(w3c("cc-" + TRACE + "-00f067aa0ba902b7-01what")).isNull();
  }

  @Test
  void b3SingleHeader() {
    Got g = new Got();
    assertThat(TraceCodec.parseB3(TRACE + "-00f067aa0ba902b7-1", g)).isTrue();
    assertThat(g.traceId()).isEqualTo(TRACE);
    assertThat(g.flags).isEqualTo(1);
    assertThat(TraceCodec.parseB3(TRACE + "-00f067aa0ba902b7-0-0020000000000001", g = new Got())).isTrue();
    assertThat(g.flags).isZero();
    assertThat(TraceCodec.parseB3(TRACE + "-00f067aa0ba902b7-d", g = new Got())).isTrue();
    assertThat(g.flags).isEqualTo(1); // debug implies sampled
    assertThat(TraceCodec.parseB3(TRACE + "-00f067aa0ba902b7", g = new Got())).isTrue();
    assertThat(g.flags).isZero(); // deferred: not sampled, as OpenTelemetry's B3 propagator reads it
    // a 64-bit trace id is padded on the left
    assertThat(TraceCodec.parseB3("a3ce929d0e0e4736-00f067aa0ba902b7-1", g = new Got())).isTrue();
    assertThat(g.traceId()).isEqualTo("0000000000000000a3ce929d0e0e4736");
    // invalid: a bare sampling state, zero ids, bad lengths, a bad sampling state, a bad parent
    for (String bad :
        new String[] {
          "0", "1", "d", "", "00000000000000000000000000000000-00f067aa0ba902b7-1", TRACE + "-0000000000000000-1",
          TRACE + "-00f067aa0ba902b-1", TRACE.substring(2) + "-00f067aa0ba902b7-1", TRACE + "-00f067aa0ba902b7-2",
          TRACE + "-00f067aa0ba902b7-11", TRACE + "-00f067aa0ba902b7-1-002", TRACE + "-00f067aa0ba902b7-", TRACE.toUpperCase() + "-00f067aa0ba902b7-1"
        }) {
      assertThat(TraceCodec.parseB3(bad, new Got())).as(bad).isFalse();
    }
    // round trip
    String out = TraceCodec.b3(g.hi, g.lo, 0xabcL, 1);
    assertThat(out).isEqualTo("0000000000000000a3ce929d0e0e4736-0000000000000abc-1");
    assertThat(TraceCodec.parseB3(out, g = new Got())).isTrue();
    assertThat(g.traceId()).isEqualTo("0000000000000000a3ce929d0e0e4736");
  }

  @Test
  void b3MultipleHeaders() {
    Got g = new Got();
    assertThat(TraceCodec.parseB3Multi(TRACE, "00f067aa0ba902b7", "1", null, g)).isTrue();
    assertThat(g.traceId()).isEqualTo(TRACE);
    assertThat(g.flags).isEqualTo(1);
    assertThat(TraceCodec.parseB3Multi(TRACE, "00f067aa0ba902b7", "true", null, g = new Got())).isTrue();
    assertThat(g.flags).isEqualTo(1);
    assertThat(TraceCodec.parseB3Multi(TRACE, "00f067aa0ba902b7", "0", null, g = new Got())).isTrue();
    assertThat(g.flags).isZero();
    assertThat(TraceCodec.parseB3Multi(TRACE, "00f067aa0ba902b7", null, "1", g = new Got())).isTrue();
    assertThat(g.flags).isEqualTo(1); // X-B3-Flags: 1 (debug) implies sampled
    assertThat(TraceCodec.parseB3Multi(TRACE, null, "1", null, new Got())).isFalse();
    assertThat(TraceCodec.parseB3Multi(TRACE, "00f067aa0ba902b", "1", null, new Got())).isFalse();
    assertThat(TraceCodec.parseB3Multi("abc", "00f067aa0ba902b7", "1", null, new Got())).isFalse();
    assertThat(TraceCodec.parseB3Multi("0000000000000000", "00f067aa0ba902b7", "1", null, new Got())).isFalse();
  }

  @Test
  void propagatorsAsOpenTelemetryNamesThem() {
    StringBuilder unknown = new StringBuilder();
    assertThat(TraceCodec.propagators(null, unknown)).isEqualTo(TraceCodec.TRACECONTEXT | TraceCodec.BAGGAGE);
    assertThat(TraceCodec.propagators(" ", unknown)).isEqualTo(TraceCodec.TRACECONTEXT | TraceCodec.BAGGAGE);
    assertThat(TraceCodec.propagators("none", unknown)).isZero();
    assertThat(TraceCodec.propagators("b3", unknown)).isEqualTo(TraceCodec.B3);
    assertThat(TraceCodec.propagators("tracecontext, b3multi,jaeger", unknown)).isEqualTo(TraceCodec.TRACECONTEXT | TraceCodec.B3MULTI);
    assertThat(unknown.toString()).isEqualTo("jaeger");
  }

  // ---- extract and inject ------------------------------------------------------------------------

  private static InboundContext served(Map<String, String> headers) {
    InboundContext c = new InboundContext(false);
    TracePropagation.extract(new Request(headers), c);
    return c;
  }

  private static Map<String, String> sent(InboundContext c, Map<String, String> own) {
    Map<String, String> out = headers();
    out.putAll(own);
    TracePropagation.inject(c, 7, 8, out::get, new MapSink(out));
    return out;
  }

  @Test
  void anOutboundCallCarriesTheInboundTraceIdAFreshSpanIdAndTheInboundFlags() {
    TracePropagation.configure(TraceCodec.TRACECONTEXT | TraceCodec.BAGGAGE);
    InboundContext c = served(Map.of("traceparent", "00-" + TRACE + "-00f067aa0ba902b7-00", "tracestate", "congo=t61rcWkgMzE", "baggage", "k=v"));
    Map<String, String> a = sent(c, Map.of());
    Map<String, String> b = sent(c, Map.of());
    assertThat(a.get("traceparent")).startsWith("00-" + TRACE + "-").endsWith("-00").doesNotContain("00f067aa0ba902b7");
    assertThat(b.get("traceparent")).startsWith("00-" + TRACE + "-").isNotEqualTo(a.get("traceparent"));
    assertThat(a.get("tracestate")).isEqualTo("congo=t61rcWkgMzE");
    assertThat(a.get("baggage")).isEqualTo("k=v");
    assertThat(a).doesNotContainKeys("b3", "x-b3-traceid");
  }

  @Test
  void withoutAValidInboundHeaderARequestStartsItsOwnSampledTraceWithARandomTraceIdFlag_03AsTheTracedProfileSends() {
    TracePropagation.configure(TraceCodec.TRACECONTEXT | TraceCodec.BAGGAGE);
    InboundContext c = served(Map.of("traceparent", "ff-" + TRACE + "-00f067aa0ba902b7-00", "tracestate", "a=b"));
    String first = sent(c, Map.of()).get("traceparent");
    assertThat(first).doesNotContain(TRACE).endsWith("-03");
    assertThat(sent(c, Map.of()).get("traceparent").substring(0, 35)).isEqualTo(first.substring(0, 35)); // one trace per request
    assertThat(sent(c, Map.of())).doesNotContainKey("tracestate"); // tracestate goes with a valid traceparent only
    String other = sent(served(Map.of()), Map.of()).get("traceparent");
    assertThat(other.substring(0, 35)).isNotEqualTo(first.substring(0, 35));
    // no request served on the thread: the call's own trace
    assertThat(sent(null, Map.of()).get("traceparent")).startsWith("00-00000000000000070000000000000008-").endsWith("-03");
  }

  @Test
  void theApplicationsOwnHeaderIsKept() {
    TracePropagation.configure(TraceCodec.TRACECONTEXT | TraceCodec.BAGGAGE);
    InboundContext c = served(Map.of("traceparent", VALID, "baggage", "k=v"));
    Map<String, String> out = sent(c, Map.of("traceparent", "00-11111111111111111111111111111111-2222222222222222-01", "baggage", "mine=1"));
    assertThat(out.get("traceparent")).isEqualTo("00-11111111111111111111111111111111-2222222222222222-01");
    assertThat(out.get("baggage")).isEqualTo("mine=1");
  }

  @Test
  void b3AndB3MultiWhenConfigured() {
    TracePropagation.configure(TraceCodec.B3);
    InboundContext c = served(Map.of("b3", TRACE + "-00f067aa0ba902b7-1", "traceparent", "00-11111111111111111111111111111111-2222222222222222-00"));
    Map<String, String> out = sent(c, Map.of());
    assertThat(out).doesNotContainKey("traceparent");
    assertThat(out.get("b3")).startsWith(TRACE + "-").endsWith("-1").doesNotContain("00f067aa0ba902b7");

    TracePropagation.configure(TraceCodec.B3MULTI);
    c = served(Map.of("X-B3-TraceId", TRACE, "X-B3-SpanId", "00f067aa0ba902b7", "X-B3-Sampled", "0"));
    out = sent(c, Map.of());
    assertThat(out.get("x-b3-traceid")).isEqualTo(TRACE);
    assertThat(out.get("x-b3-spanid")).hasSize(16).isNotEqualTo("00f067aa0ba902b7");
    assertThat(out.get("x-b3-sampled")).isEqualTo("0");
    assertThat(out).doesNotContainKeys("traceparent", "b3");

    TracePropagation.configure(TraceCodec.TRACECONTEXT | TraceCodec.B3);
    c = served(Map.of("traceparent", VALID));
    out = sent(c, Map.of());
    assertThat(out.get("traceparent").substring(36, 52)).isEqualTo(out.get("b3").substring(33, 49)); // one span, two formats
  }

  @Test
  void offWritesNothing() {
    TracePropagation.configure(0);
    InboundContext c = served(Map.of("traceparent", VALID));
    assertThat(sent(c, Map.of())).isEmpty();
    Map<String, String> out = headers();
    TracePropagation.propagate(out::get, new MapSink(out));
    assertThat(out).isEmpty();
  }

  @Test
  void hostedByTheOpenTelemetryAgentPropagationStaysOffWhateverTheProfile_neverAHeaderTwice() {
    TracePropagation.hostedByOpenTelemetry();
    TracePropagation.configureFromEnvironment();
    assertThat(TracePropagation.active()).isFalse();
    InboundContext c = served(Map.of("traceparent", VALID));
    assertThat(sent(c, Map.of())).isEmpty();
  }

  private static Map<String, String> headers() {
    return new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  }

  private record MapSink(Map<String, String> map) implements HeaderSink {
    @Override
    public void set(String name, String value) {
      map.put(name, value);
    }

    @Override
    public void add(String name, String value) {
      map.merge(name, value, (a, b) -> a + "," + b);
    }

    @Override
    public void remove(String name) {
      map.remove(name);
    }
  }

  private static final class Request implements InboundRequest {
    private final Map<String, String> headers = headers();

    Request(Map<String, String> h) {
      headers.putAll(h);
    }

    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String path() {
      return "/";
    }

    @Override
    public String header(String name) {
      return headers.get(name);
    }

    @Override
    public InetSocketAddress localAddress() {
      return null;
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return null;
    }

    @Override
    public Certificate[] peerCertificates() {
      return null;
    }
  }
}
