package io.inmesh.smoke.apps;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;

/**
 * An application that uses the OpenTelemetry API (no inmesh code): starts and ends one span named
 * {@code lean-probe-span} and prints whether it is a real (sampled, valid) span, then exits. Without
 * an agent, and in inmesh's mesh profile, the API is the no-op one ({@code valid=false}); in the
 * traced profile the agent's bridge makes it real ({@code valid=true}) and an exporter sees it.
 */
public final class OtelApiProbeApp {
  private OtelApiProbeApp() {}

  public static void main(String[] args) {
    Span span = GlobalOpenTelemetry.get().getTracer("lean-probe").spanBuilder("lean-probe-span").startSpan();
    boolean valid = span.getSpanContext().isValid();
    span.end();
    System.out.println("otel-api span valid=" + valid + " openTelemetry=" + GlobalOpenTelemetry.get().getClass().getName());
    System.out.flush();
  }
}
