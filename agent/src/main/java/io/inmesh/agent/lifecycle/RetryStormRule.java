package io.inmesh.agent.lifecycle;

import io.inmesh.bootstrap.ApplicationRetries;

/**
 * How the mesh keeps retries from multiplying across hops ("reintentos en cascada"). The rule:
 *
 * <ol>
 *   <li><b>The network retries transient network errors</b> (connect failure, refused stream,
 *       reset, per-try timeout) at the hop where they happen, and nowhere else: above that hop the
 *       failure is a response like any other.
 *   <li><b>The application retries business errors.</b> While the application's own retry wraps a
 *       call (Resilience4j {@code Retry}, seen in-process through {@link ApplicationRetries}), the
 *       mesh retries no status for that call, and marks the request
 *       ({@code x-inmesh-retry-owner: app}); every hop below inherits the mark through its inbound
 *       stage and does the same, so the application's retries are the only ones that multiply.
 *   <li><b>A failure is retried once, at the lowest layer allowed to.</b> When an outbound call
 *       made while serving a request ends in failure after it was retried (or its retries were
 *       owned above, or it came back already marked), the response to that request carries
 *       {@code x-inmesh-retries: exhausted}; a mesh never retries a response so marked (Finagle's
 *       non-retryable flag, carried across processes).
 * </ol>
 */
public final class RetryStormRule {
  public static final String OWNER_HEADER = "x-inmesh-retry-owner";
  public static final String EXHAUSTED_HEADER = "x-inmesh-retries";
  static final String EXHAUSTED = "exhausted";
  static final String APP = "app";

  private RetryStormRule() {}

  /** True when status errors of a call made now are the application's to retry. */
  static boolean statusRetriesOwnedAbove(InboundContext inbound) {
    return ApplicationRetries.active() || (inbound != null && inbound.retriesOwnedAbove());
  }

  static boolean markedExhausted(String headerValue) {
    return headerValue != null && headerValue.regionMatches(true, 0, EXHAUSTED, 0, EXHAUSTED.length());
  }
}
