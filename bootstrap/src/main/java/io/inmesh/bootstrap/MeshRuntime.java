package io.inmesh.bootstrap;

import java.net.InetSocketAddress;

/**
 * What the mesh engine offers to adapters. The engine lives in the agent's own class loader and
 * installs itself through {@link Mesh#install}; adapters only ever call {@link Mesh}.
 */
public interface MeshRuntime {

  /**
   * Decides a client call (resolve, split, fault, mirror). Returns null when the host is not a
   * mesh service (the call proceeds untouched; this path costs one map lookup) or when the mesh is
   * off. Never waits: before the first snapshot the caller asks {@link #awaitFirstSnapshot}.
   */
  OutboundCall outbound(OutboundRequest request);

  /**
   * Before any snapshot exists, a call to a host that could be a mesh service may wait for the
   * first one: all such calls wait together, for at most INMESH_STARTUP_WAIT counted from the
   * agent's start. Returns the nanos a blocking caller may still wait (0: decide now). Asynchronous
   * adapters use {@link #firstSnapshot()} instead and never park a thread.
   */
  long startupWaitNanos(String host);

  /**
   * True when a plain-http call to {@code host} made now would be the mesh's to decide: the host
   * has a route in the snapshot in force, or, before the first snapshot, it could be a mesh host
   * and the start-up wait is still on (the client below waits for the snapshot, then decides).
   * Takes no decision and counts nothing: for layers above a meshed client (a client-side load
   * balancer) that step aside so the call gets exactly one mesh decision. Never blocks.
   */
  default boolean routes(String host) {
    return false;
  }

  /** Completes when the first snapshot is in force or the start-up wait is over. */
  java.util.concurrent.CompletionStage<Void> firstSnapshot();

  /**
   * Trace context for a call that passes through (see {@link Mesh#propagate}); nothing in the
   * traced profile, where the OpenTelemetry instrumentations propagate. A default so that existing
   * implementations keep compiling.
   */
  default void propagate(java.util.function.Function<String, String> existing, HeaderSink request) {}

  /** A server library started listening; the agent registers the bound address and port. */
  void serverStarted(String library, InetSocketAddress bound);

  /** A server library stopped listening. */
  void serverStopped(String library, InetSocketAddress bound);

  /**
   * The inbound stage, before the application's handler runs (secure → authorize → observe).
   * Returns null to let the request through, or the local answer to send instead (e.g. 403
   * {@code RBAC: access denied}). The request's context stays current on this thread until
   * {@link #inboundEnd}: outbound calls made while serving it inherit what the caller asked of
   * the hops below, and what happened to them is said on the response.
   */
  LocalAnswer inbound(InboundRequest request);

  /** The response to the current inbound request is being committed: add the mesh's headers. */
  void inboundResponse(HeaderSink response);

  /** The handler of the current inbound request returned. */
  void inboundEnd();

  /**
   * What a server adapter does with a new connection accepted on {@code local}: one of
   * {@link InboundTls}'s modes. The agent's own ports are never subject to it.
   */
  default int inboundTls(InetSocketAddress local) {
    return InboundTls.PLAIN;
  }

  /** The context for an inbound mTLS connection (this workload's certificate, the mesh's roots); null: none. */
  default javax.net.ssl.SSLContext inboundSslContext() {
    return null;
  }

  /** Configures a server engine the adapter made from {@link #inboundSslContext()} (client certificates required). */
  default void configureInboundEngine(javax.net.ssl.SSLEngine engine) {}

  /**
   * The {@code X-Forwarded-Client-Cert} value for a request that arrived over mTLS with this
   * verified peer chain, as Istio sets it; null when {@code peer} is null.
   */
  default String forwardedClientCert(java.security.cert.Certificate[] peer) {
    return null;
  }
}
