package io.inmesh.bench.mode;

/**
 * Loopback addresses of one mode: slot {@code s} owns 127.0.0.{10s+1..10s+9}. The load generator
 * binds 127.0.0.2; startup probes use slot 8.
 */
public record Topology(int slot) {
  public static final int APP_PORT = 8080;
  public static final int OUTBOUND_PORT = 15001;
  public static final int INBOUND_PORT = 15006;
  public static final int CONTROL_PORT = 15010;
  public static final String GENERATOR_ADDRESS = "127.0.0.2";

  public static Topology of(Mode mode) {
    return new Topology(mode.slot);
  }

  /** Address {@code i} (1–9) of the slot. */
  public String at(int i) {
    return "127.0.0." + (slot * 10 + i);
  }

  public String frontend() {
    return at(1);
  }

  public String backend() {
    return at(2);
  }

  public String outboundProxy() {
    return at(3);
  }

  public String inboundProxy() {
    return at(4);
  }

  public String controlPlane() {
    return at(9);
  }

  public String controlUrl() {
    return "http://" + controlPlane() + ":" + CONTROL_PORT;
  }
}
