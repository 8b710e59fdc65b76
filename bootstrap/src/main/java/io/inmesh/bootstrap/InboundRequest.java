package io.inmesh.bootstrap;

import java.net.InetSocketAddress;
import java.security.cert.Certificate;

/** A request arriving at the application, as server adapters present it to the mesh. */
public interface InboundRequest {

  String method();

  /** The raw path with its query. */
  String path();

  /** The first value of a request header (case-insensitive), or null. */
  String header(String name);

  /** The address the request arrived on. */
  InetSocketAddress localAddress();

  /** The caller's address. */
  InetSocketAddress remoteAddress();

  /**
   * The verified peer certificate chain of the connection (mTLS), or null for plain text. Peer
   * identity reaches authorization only from here, never from a header.
   */
  Certificate[] peerCertificates();
}
