package io.inmesh.agent.lifecycle;

/**
 * What the mesh knows about the inbound request the current thread is serving: whether the hops
 * above own retries of status errors (their application retries), and whether an outbound call
 * made while serving it failed after retries — which the response then says, so no mesh above
 * retries it again (the retry-storm rule, see {@link RetryStormRule}).
 */
public final class InboundContext implements TraceCodec.Ids {
  private static final ThreadLocal<InboundContext> CURRENT = new ThreadLocal<>();

  private final boolean retriesOwnedAbove;
  /** The verified SPIFFE ID of the mTLS peer, or null for plain text (never from a header). */
  private final String peerIdentity;
  private volatile boolean outboundExhausted;

  // Trace context (mesh profile only, see TracePropagation): written by the serving thread before
  // the handler runs, read by outbound calls made while serving (a sendAsync's executor included:
  // MeshCall captured this object on the serving thread, which happens-before its attempts).
  long traceHi;
  long traceLo;
  /** The inbound trace flags, or -1 when propagation is off. */
  int traceFlags = -1;
  /** The inbound {@code tracestate}, verbatim (with a valid {@code traceparent} only), or null. */
  String tracestate;
  /** The inbound {@code baggage}, verbatim, or null. */
  String baggage;

  InboundContext(boolean retriesOwnedAbove) {
    this(retriesOwnedAbove, null);
  }

  InboundContext(boolean retriesOwnedAbove, String peerIdentity) {
    this.retriesOwnedAbove = retriesOwnedAbove;
    this.peerIdentity = peerIdentity;
  }

  /** The verified peer identity of the request being served on this thread, or null. */
  public static String currentPeerIdentity() {
    InboundContext c = CURRENT.get();
    return c == null ? null : c.peerIdentity;
  }

  String peerIdentity() {
    return peerIdentity;
  }

  static InboundContext current() {
    return CURRENT.get();
  }

  static void begin(InboundContext c) {
    CURRENT.set(c);
  }

  static void end() {
    // set(null), not remove(): the thread's map keeps its entry, so the next request's begin() is
    // a plain replace instead of an insert that scans for stale slots, and no Reference is cleared
    // per request (both showed in the profile of a meshed server, issue 13); get() answers null the same
    CURRENT.set(null);
  }

  @Override
  public void ids(long hi, long lo, int flags) {
    traceHi = hi;
    traceLo = lo;
    traceFlags = flags;
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
