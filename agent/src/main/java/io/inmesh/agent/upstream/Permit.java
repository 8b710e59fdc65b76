package io.inmesh.agent.upstream;

/**
 * One admitted attempt's hold on its endpoint and its cluster's connection pool. Release it
 * exactly once when the attempt ends (response headers seen, or failure); later calls do nothing.
 */
public interface Permit {
  /** The endpoint this attempt goes to. */
  EndpointState endpoint();

  /**
   * The attempt ended: feeds the endpoint's active count, its latency estimate, outlier detection
   * (per the cluster's OutlierDetection) and frees the pool slot for the next waiter.
   */
  void release(AttemptResult result, long latencyNanos);
}
