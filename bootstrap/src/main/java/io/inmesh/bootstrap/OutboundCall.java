package io.inmesh.bootstrap;

import java.net.InetSocketAddress;

/**
 * The mesh's decision for one logical call. The per-call stages (resolve, split, fault) have run
 * when an adapter holds one of these; the per-attempt stages run each time the adapter asks
 * {@link #nextAddress()} (balance now; outlier ejection, pool limits and mTLS later), so a library
 * that retries or re-connects gets a fresh endpoint of the same destination.
 *
 * <p>When the mesh answers the call itself (503 {@code no healthy upstream}, 404 for no matching
 * route, later 403, 504, an injected abort), {@link #isLocalReply()} is true and
 * {@link #nextAddress()} is the agent's loopback responder: the library then receives a real HTTP
 * response and produces its own response object or exception, exactly as if a sidecar had
 * answered. The adapter tells the responder which answer to give with the path or the header.
 */
public interface OutboundCall {

  /** True when the mesh answers this call itself. */
  boolean isLocalReply();

  /** Where the next attempt connects; null means "proceed untouched" (fail open). */
  InetSocketAddress nextAddress();

  /** For adapters that rewrite the request path: the responder path of a local reply. */
  String localReplyPath();

  /** For adapters that add a header: the value of {@link Mesh#LOCAL_REPLY_HEADER}. */
  String localReplyToken();
}
