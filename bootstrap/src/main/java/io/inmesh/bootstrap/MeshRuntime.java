package io.inmesh.bootstrap;

import java.net.InetSocketAddress;

/**
 * What the mesh engine offers to adapters. The engine lives in the agent's own class loader and
 * installs itself through {@link Mesh#install(MeshRuntime)}; adapters only ever call {@link Mesh}.
 */
public interface MeshRuntime {

  /**
   * Decides a client call. Returns null when the host is not a mesh service (the call proceeds
   * untouched; this path costs one map lookup) or when the mesh is off.
   */
  OutboundCall outbound(OutboundRequest request);

  /** A server library started listening; the agent registers the bound address and port. */
  void serverStarted(String library, InetSocketAddress bound);

  /** A server library stopped listening. */
  void serverStopped(String library, InetSocketAddress bound);

  /**
   * Decides an inbound request before the application's handler runs (secure → authorize →
   * observe). Returns null to let it through, or the local answer to send instead (e.g. 403
   * {@code RBAC: access denied}).
   */
  LocalAnswer inbound(InboundRequest request);
}
