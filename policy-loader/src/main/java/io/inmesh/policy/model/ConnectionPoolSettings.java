package io.inmesh.policy.model;

import java.time.Duration;

/**
 * Istio ConnectionPoolSettings with Istio's documented defaults filled in (istio.io DestinationRule
 * reference): unlimited (2^32-1) connections, pending requests, requests and retries, 10s connect
 * timeout, 1h idle timeouts, unlimited requests per connection (0).
 */
public record ConnectionPoolSettings(Tcp tcp, Http http) {
  public static final long UNLIMITED = 4_294_967_295L;

  public static final ConnectionPoolSettings DEFAULT = new ConnectionPoolSettings(Tcp.DEFAULT, Http.DEFAULT);

  /** @param maxConnectionDuration null: no limit */
  public record Tcp(long maxConnections, Duration connectTimeout, Duration maxConnectionDuration, Duration idleTimeout) {
    public static final Tcp DEFAULT = new Tcp(UNLIMITED, Duration.ofSeconds(10), null, Duration.ofHours(1));
  }

  /** @param maxRequestsPerConnection 0 means unlimited; 1 disables keep-alive */
  public record Http(
      long http1MaxPendingRequests,
      long http2MaxRequests,
      long maxRequestsPerConnection,
      long maxRetries,
      Duration idleTimeout,
      String h2UpgradePolicy,
      boolean useClientProtocol,
      long maxConcurrentStreams) {
    public static final Http DEFAULT =
        new Http(UNLIMITED, UNLIMITED, 0, UNLIMITED, Duration.ofHours(1), "DEFAULT", false, 2_147_483_647L);
  }
}
