package io.inmesh.bootstrap;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;

/**
 * How one attempt goes out over mesh mTLS (Istio's auto mTLS or a DestinationRule's
 * {@code ISTIO_MUTUAL}): this workload's certificate, the mesh's roots, and the server identities
 * the registry vouches for the destination (secure naming). A server whose certificate does not
 * chain to the mesh roots, or whose SPIFFE ID is not expected, fails the handshake: the attempt is
 * a connect failure and is never sent in plain text instead.
 */
public interface UpstreamTls {

  /** A client-mode engine for a non-blocking client, its identity check bound to it. */
  SSLEngine newEngine(String peerHost, int port);

  /** Sockets for a blocking client, with the same checks. */
  SSLSocketFactory socketFactory();

  /** The SPIFFE IDs a server may present, for messages. */
  String expected();
}
