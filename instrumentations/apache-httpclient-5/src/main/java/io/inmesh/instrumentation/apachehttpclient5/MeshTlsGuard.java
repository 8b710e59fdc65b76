package io.inmesh.instrumentation.apachehttpclient5;

import javax.net.ssl.SSLHandshakeException;
import org.apache.hc.core5.http.io.HttpClientConnection;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * The last check before the classic client writes a mesh mTLS attempt's request: the connection
 * it is about to use must be TLS. The mesh's TLS joins Apache's in the connection operator's TLS
 * registry ({@link TlsOperatorInstrumentation}); a connection manager whose operator does not take
 * that registry would connect the attempt's route in plain text, and this refuses it instead (the
 * connection is closed and the attempt fails as a handshake failure: UF). Security fails closed.
 */
public final class MeshTlsGuard {
  /** {@link Attempts#MTLS_ATTRIBUTE}, inlined: this class is a helper of the 5.4+ module only. */
  private static final String ATTRIBUTE = "io.inmesh.mtls";

  private MeshTlsGuard() {}

  /** Null to send; otherwise the exception the request fails with. Never throws. */
  public static Throwable refusal(HttpClientConnection connection, HttpContext context) {
    Object expected;
    try {
      expected = context == null ? null : context.getAttribute(ATTRIBUTE);
      if (expected == null || connection == null || connection.getSSLSession() != null) {
        return null;
      }
    } catch (Throwable t) {
      expected = "mesh mTLS";
    }
    try {
      connection.close();
    } catch (Throwable ignored) {
      // closed either way
    }
    return new SSLHandshakeException("inmesh: " + expected + " needs mesh mTLS and this client's connection operator made a plain connection;"
        + " the request is not sent in plain text");
  }
}
