package io.inmesh.agent.lifecycle;

/**
 * What the mesh knows about the inbound request the current thread is serving: whether the hops
 * above own retries of status errors (their application retries), and whether an outbound call
 * made while serving it failed after retries — which the response then says, so no mesh above
 * retries it again (the retry-storm rule, see {@link RetryStormRule}).
 */
public final class InboundContext {
  private static final ThreadLocal<InboundContext> CURRENT = new ThreadLocal<>();

  private final boolean retriesOwnedAbove;
  private volatile boolean outboundExhausted;

  InboundContext(boolean retriesOwnedAbove) {
    this.retriesOwnedAbove = retriesOwnedAbove;
  }

  static InboundContext current() {
    return CURRENT.get();
  }

  static void begin(InboundContext c) {
    CURRENT.set(c);
  }

  static void end() {
    CURRENT.remove();
  }

  boolean retriesOwnedAbove() {
    return retriesOwnedAbove;
  }

  void outboundExhausted() {
    outboundExhausted = true;
  }

  boolean isOutboundExhausted() {
    return outboundExhausted;
  }
}
