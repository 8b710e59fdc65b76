package io.inmesh.policy.model;

import java.time.Duration;

/**
 * Istio HTTPFaultInjection. A percentage left unset means 0: "If left unspecified, no request will
 * be delayed" / "If not specified, no request will be aborted" (istio.io VirtualService reference).
 */
public record HttpFault(Delay delay, Abort abort) {

  /** @param percentage 0..100 */
  public record Delay(Duration fixedDelay, double percentage) {}

  /** @param httpStatus null when a gRPC status is given instead */
  public record Abort(Integer httpStatus, String grpcStatus, double percentage) {}
}
