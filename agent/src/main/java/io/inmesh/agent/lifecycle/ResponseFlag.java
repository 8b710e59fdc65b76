package io.inmesh.agent.lifecycle;

import io.inmesh.bootstrap.LocalAnswer;

/**
 * Envoy's response flags for what the mesh did to a call, as Istio's access logs show them. They
 * travel in the {@code x-inmesh-reason} response header and are counted in {@code /stats}.
 */
public enum ResponseFlag {
  /** No healthy upstream: the destination has no (non-ejected) endpoint. */
  UH,
  /** No route: no rule of the host's VirtualService matched. */
  NR,
  /** No cluster: the route names a subset no DestinationRule defines. */
  NC,
  /** Upstream request timeout: the route's timeout (or the last per-try timeout) expired. */
  UT,
  /** Upstream overflow: the connection pool's limits (circuit breaking) refused the request. */
  UO,
  /** Upstream connection failure, after retries. */
  UF,
  /** Upstream connection termination (reset) before headers, after retries. */
  UC,
  /** Upstream retry limit exceeded: the response is a retriable failure and the retries ran out. */
  URX,
  /** Fault injection: aborted. */
  FI,
  /** Fault injection: delayed. */
  DI,
  /** A direct response or redirect answered by the route. */
  DR,
  RD;

  static final String HEADER = "x-inmesh-reason";

  static final LocalAnswer TIMEOUT = LocalAnswer.of(504, "UT");
  static final LocalAnswer OVERFLOW = LocalAnswer.of(503, "UO");
  static final LocalAnswer CONNECT_FAILURE =
      new LocalAnswer(503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure", "UF");
  static final LocalAnswer RESET =
      new LocalAnswer(503, "upstream connect error or disconnect/reset before headers. reset reason: connection termination", "UC");
}
