package io.inmesh.agent.lifecycle;

import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.LocalAnswer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The inbound stage every server adapter runs per request, before the application's handler:
 * today it observes (counts) and carries the retry-storm rule's context to the outbound calls
 * made while serving the request; authorization plugs in here and answers 403 then.
 */
public final class InboundStage {
  private final LongAdder requests = new LongAdder();
  private final LongAdder markedExhausted = new LongAdder();
  private final LongAdder mtlsRequests = new LongAdder();

  /** Starts serving a request on this thread; null lets it through. */
  public LocalAnswer begin(InboundRequest request) {
    return begin(request, peerIdentity(request.peerCertificates()));
  }

  /** The same, with the peer's SPIFFE ID already read from its certificate (null for plain text). */
  public LocalAnswer begin(InboundRequest request, String peer) {
    requests.increment();
    if (peer != null) {
      mtlsRequests.increment();
    }
    InboundContext c = new InboundContext(RetryStormRule.APP.equalsIgnoreCase(request.header(RetryStormRule.OWNER_HEADER)), peer);
    TracePropagation.extract(request, c);
    InboundContext.begin(c);
    return null;
  }

  /** The SPIFFE ID (URI SAN) of a verified peer chain, or null. */
  public static String peerIdentity(java.security.cert.Certificate[] chain) {
    if (chain == null || chain.length == 0 || !(chain[0] instanceof java.security.cert.X509Certificate leaf)) {
      return null;
    }
    return io.inmesh.policy.identity.WorkloadCertificate.uriSan(leaf);
  }

  /** The response to the current request is being committed. */
  public void response(HeaderSink response) {
    InboundContext c = InboundContext.current();
    if (c != null && c.isOutboundExhausted()) {
      markedExhausted.increment();
      response.set(RetryStormRule.EXHAUSTED_HEADER, RetryStormRule.EXHAUSTED);
    }
  }

  public void end() {
    InboundContext.end();
  }

  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("requests", requests.sum());
    m.put("responsesMarkedRetriesExhausted", markedExhausted.sum());
    m.put("requestsOverMtls", mtlsRequests.sum());
    return m;
  }
}
