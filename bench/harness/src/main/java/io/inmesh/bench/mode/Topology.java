package io.inmesh.bench.mode;

/**
 * Loopback addresses of one mode: slot {@code s} owns {@value #NETWORK}{10s+1..10s+9}. The load
 * generator binds {@value #NETWORK}2; startup probes use slot 8, the route-propagation rig slot 11
 * (inmesh-retry has slot 12, inmesh-traced slot 13).
 * The benchmark keeps to a /24 of its own inside 127/8 because the smoke tests, the demo and other
 * benchmarks bind 127.0.0.x addresses: an address held by one of them would fail a mode's start
 * (or, worse, be measured in its place) while several engineers test at once.
 */
public record Topology(int slot) {
  public static final int APP_PORT = 8080;
  public static final int OUTBOUND_PORT = 15001;
  public static final int INBOUND_PORT = 15006;
  public static final int CONTROL_PORT = 15010;
  public static final String NETWORK = "127.0.100.";
  public static final String GENERATOR_ADDRESS = NETWORK + "2";

  public static Topology of(Mode mode) {
    return new Topology(mode.slot);
  }

  /** Address {@code i} (1–9) of the slot. */
  public String at(int i) {
    return NETWORK + (slot * 10 + i);
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
