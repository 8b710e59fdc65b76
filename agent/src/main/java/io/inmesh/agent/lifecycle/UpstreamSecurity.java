package io.inmesh.agent.lifecycle;

import io.inmesh.bootstrap.UpstreamTls;
import io.inmesh.policy.compile.RouteDecision;
import io.inmesh.policy.model.TrafficPolicy;
import java.net.InetSocketAddress;

/** The {@code secure} stage as the call lifecycle sees it: whether an attempt to an endpoint goes out over mTLS. */
public interface UpstreamSecurity {

  /** Null: plain text. Never throws: an error is a context that fails every handshake (fails closed). */
  UpstreamTls tlsFor(RouteDecision.Routed routed, TrafficPolicy traffic, InetSocketAddress endpoint);
}
