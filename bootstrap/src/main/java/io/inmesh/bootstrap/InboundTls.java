package io.inmesh.bootstrap;

/**
 * What a server adapter does with a new connection on one of the application's ports, as the
 * workload's PeerAuthentication says (https://istio.io/latest/docs/reference/config/security/peer_authentication/).
 */
public final class InboundTls {
  /** Leave the connection alone: plain text (DISABLE, or PERMISSIVE without an identity). */
  public static final int PLAIN = 0;
  /** PERMISSIVE: a TLS ClientHello (first byte 0x16) gets mTLS, anything else is served in plain text. */
  public static final int EITHER = 1;
  /** STRICT: mTLS only; plain text is refused at the connection. */
  public static final int MTLS_ONLY = 2;
  /** Close the connection: mTLS is required and cannot be served (no identity yet), or inmesh failed. */
  public static final int REFUSE = 3;

  /** The first byte of a TLS record carrying a handshake message (a ClientHello). */
  public static final int TLS_HANDSHAKE_RECORD = 0x16;

  /** Istio's header for the verified client certificate of an mTLS connection. */
  public static final String XFCC_HEADER = "x-forwarded-client-cert";

  private InboundTls() {}
}
