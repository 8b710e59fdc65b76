package io.inmesh.agent.lifecycle;

import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.InboundRequest;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Trace context in the mesh profile (docs/lean-profile.md 5.2): the inbound request's
 * {@code traceparent}/{@code tracestate} (or b3) and {@code baggage} are read into its
 * {@link InboundContext}; every outbound attempt made while serving it writes the same trace id, a
 * fresh span id and the inbound flags (a fresh trace id and flags {@code 01} without one: what the
 * traced profile's default {@code parentbased_always_on} sampler sends). Off in the traced profile,
 * where the upstream OpenTelemetry instrumentations propagate: a header is never written twice.
 *
 * <p>Lives in the engine (not the bootstrap seam): it reads the engine's per-request context and
 * configuration, and the bootstrap loader only carries the frozen seam the advice calls.
 */
public final class TracePropagation {
  /**
   * The flags of a trace inmesh starts: sampled (01, the traced profile's default sampler
   * {@code parentbased_always_on} samples a root) and random trace id (02, W3C Trace Context Level 2
   * https://www.w3.org/TR/trace-context-2/#random-trace-id-flag: the id comes from a random source).
   * 03 is what the traced profile's embedded OpenTelemetry agent sends for a request without
   * {@code traceparent}, measured (LeanTraceSmokeTest's fleet hosted by it): the same here.
   */
  static final int FRESH_FLAGS = 0x03;

  /** The configured {@link TraceCodec} propagator bits; 0 when off (traced profile, or none). */
  private static volatile int formats;

  private TracePropagation() {}

  /** Turns propagation on with these {@link TraceCodec} bits (0: off). */
  public static void configure(int propagatorBits) {
    formats = propagatorBits;
  }

  /**
   * Turns propagation on when the mesh profile runs (the traced profile's upstream instrumentations
   * propagate themselves), with the propagators {@code OTEL_PROPAGATORS} / {@code otel.propagators}
   * names (default {@code tracecontext,baggage}, as OpenTelemetry's).
   */
  public static void configureFromEnvironment() {
    if (!io.inmesh.launcher.Profile.meshActive() || hostedByOpenTelemetry) {
      configure(0);
      return;
    }
    String value = System.getProperty("otel.propagators");
    if (value == null) {
      value = System.getenv("OTEL_PROPAGATORS");
    }
    StringBuilder unknown = new StringBuilder();
    int bits = TraceCodec.propagators(value, unknown);
    configure(bits);
    io.inmesh.policy.log.Log.info("trace context: inmesh propagates " + (bits == 0 ? "nothing (OTEL_PROPAGATORS=" + value + ")" : TraceCodec.names(bits)) + " itself (mesh profile)");
    if (unknown.length() > 0) {
      io.inmesh.policy.log.Log.once(
          io.inmesh.policy.log.Log.Level.WARN,
          "trace-propagators",
          "OTEL_PROPAGATORS names " + unknown + ", which the mesh profile does not propagate (it speaks tracecontext, baggage, b3, b3multi); the traced profile does");
    }
  }

  /**
   * The OpenTelemetry agent hosts inmesh in this JVM ({@code InmeshAgentListener} says so before the
   * engine starts): its instrumentations propagate, whatever the profile says, so this stays off and
   * no header is written twice.
   */
  public static void hostedByOpenTelemetry() {
    hostedByOpenTelemetry = true;
  }

  private static volatile boolean hostedByOpenTelemetry;

  public static boolean active() {
    return formats != 0;
  }

  /** Reads the inbound request's trace context into {@code c} (a fresh trace when it has none). */
  static void extract(InboundRequest request, InboundContext c) {
    int f = formats;
    if (f == 0) {
      return;
    }
    boolean found = false;
    // OpenTelemetry's composite propagator extracts in the configured order, each over the previous one's result
    if ((f & TraceCodec.TRACECONTEXT) != 0 && TraceCodec.parseTraceparent(request.header(TraceCodec.TRACEPARENT), c)) {
      found = true;
      c.tracestate = request.header(TraceCodec.TRACESTATE);
    }
    if ((f & TraceCodec.B3) != 0 && TraceCodec.parseB3(request.header(TraceCodec.B3_HEADER), c)) {
      found = true;
      c.tracestate = null;
    }
    if ((f & TraceCodec.B3MULTI) != 0) {
      String traceId = request.header(TraceCodec.B3_TRACE_ID);
      if (traceId != null
          && TraceCodec.parseB3Multi(
              traceId, request.header(TraceCodec.B3_SPAN_ID), request.header(TraceCodec.B3_SAMPLED), request.header(TraceCodec.B3_FLAGS), c)) {
        found = true;
        c.tracestate = null;
      }
    }
    if (!found) {
      c.ids(nonZero(), nonZero(), FRESH_FLAGS);
    }
    if ((f & TraceCodec.BAGGAGE) != 0) {
      c.baggage = request.header(TraceCodec.BAGGAGE_HEADER);
    }
  }

  /**
   * Writes the configured headers on an outbound request, unless the application set its own.
   * {@code inbound} null: the call is not made while serving a request; {@code traceHi}/{@code traceLo}
   * then name the call's own fresh trace.
   */
  static void inject(InboundContext inbound, long traceHi, long traceLo, Function<String, String> existing, HeaderSink sink) {
    inject(inbound, traceHi, traceLo, (Object) existing, sink);
  }

  /** For a mesh call's attempt: {@code request} is the application's request (no lambda per attempt). */
  static void inject(InboundContext inbound, long traceHi, long traceLo, io.inmesh.bootstrap.OutboundRequest request, HeaderSink sink) {
    inject(inbound, traceHi, traceLo, (Object) request, sink);
  }

  @SuppressWarnings("unchecked")
  private static String existing(Object headers, String name) {
    if (headers instanceof io.inmesh.bootstrap.OutboundRequest r) {
      return r.header(name);
    }
    return headers == null ? null : ((Function<String, String>) headers).apply(name);
  }

  private static void inject(InboundContext inbound, long traceHi, long traceLo, Object existing, HeaderSink sink) {
    int f = formats;
    if (f == 0 || applicationSetsItsOwn(f, existing)) {
      return;
    }
    long hi = traceHi;
    long lo = traceLo;
    int flags = FRESH_FLAGS;
    String state = null;
    String baggage = null;
    if (inbound != null && inbound.traceFlags >= 0) {
      hi = inbound.traceHi;
      lo = inbound.traceLo;
      flags = inbound.traceFlags;
      state = inbound.tracestate;
      baggage = inbound.baggage;
    }
    long span = nonZero();
    if ((f & TraceCodec.TRACECONTEXT) != 0) {
      sink.set(TraceCodec.TRACEPARENT, TraceCodec.traceparent(hi, lo, span, flags));
      if (state != null) {
        sink.set(TraceCodec.TRACESTATE, state);
      }
    }
    if ((f & TraceCodec.B3) != 0) {
      sink.set(TraceCodec.B3_HEADER, TraceCodec.b3(hi, lo, span, flags));
    }
    if ((f & TraceCodec.B3MULTI) != 0) {
      sink.set(TraceCodec.B3_TRACE_ID, TraceCodec.traceId(hi, lo));
      sink.set(TraceCodec.B3_SPAN_ID, TraceCodec.spanId(span));
      sink.set(TraceCodec.B3_SAMPLED, (flags & 1) != 0 ? "1" : "0");
    }
    if (baggage != null && (f & TraceCodec.BAGGAGE) != 0 && existing(existing, TraceCodec.BAGGAGE_HEADER) == null) {
      sink.set(TraceCodec.BAGGAGE_HEADER, baggage);
    }
  }

  /** A pass-through call (not a mesh host) made on this thread. */
  public static void propagate(Function<String, String> existing, HeaderSink sink) {
    if (formats == 0) {
      return;
    }
    inject(InboundContext.current(), nonZero(), nonZero(), existing, sink);
  }

  private static boolean applicationSetsItsOwn(int f, Object existing) {
    if (existing == null) {
      return false;
    }
    return ((f & TraceCodec.TRACECONTEXT) != 0 && existing(existing, TraceCodec.TRACEPARENT) != null)
        || ((f & TraceCodec.B3) != 0 && existing(existing, TraceCodec.B3_HEADER) != null)
        || ((f & TraceCodec.B3MULTI) != 0 && existing(existing, TraceCodec.B3_TRACE_ID) != null);
  }

  /** A random id, never zero (zero ids are invalid in both formats). */
  static long nonZero() {
    long v;
    do {
      v = ThreadLocalRandom.current().nextLong();
    } while (v == 0);
    return v;
  }
}
