package io.inmesh.instrumentation.httpurlconnection;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.OutboundCall;
import java.io.ByteArrayOutputStream;
import java.net.URL;
import sun.net.www.MessageHeader;

/**
 * One {@code HttpURLConnection} call's mesh state, kept in a virtual field of the connection: the
 * call (decided at its first connect), the attempt in flight, the engine's verdict on the last
 * response, and what is needed to send the request again (the request head the library wrote, a
 * streamed body captured up to 64 KiB).
 */
final class UrlConnectionCall {
  final OutboundCall call;
  final URL logicalUrl;
  Attempt attempt;
  int verdict = Attempt.DELIVER;
  boolean started;
  /** Set while the adapter itself reconnects, so nested advice leaves the retry loop to it. */
  boolean retrying;
  /** The mesh's deadline was the read timeout in force for the current attempt. */
  boolean meshReadTimeout;
  MessageHeader head;
  /** The library's connection of the current attempt. */
  sun.net.www.http.HttpClient client;
  private ByteArrayOutputStream streamed;
  private boolean streamedOverflow;
  boolean mirrored;
  /** Why the library's re-send after a failed write gets no connection (see UrlConnectionLifecycle.newClient). */
  Throwable refusal;
  /** An injected delay outlasted the application's read timeout: the read fails as it would behind a sidecar. */
  boolean delayOutlastedReadTimeout;

  /** The attempt whose response the application reads now; ended when the body is done. */
  Attempt delivered;
  /** The connection this call belongs to, weakly (see {@link #endWhenUnreachable}). */
  private final java.lang.ref.WeakReference<Object> owner;

  private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

  UrlConnectionCall(OutboundCall call, URL logicalUrl, Object owner) {
    this.call = call;
    this.logicalUrl = logicalUrl;
    this.owner = new java.lang.ref.WeakReference<>(owner);
  }

  Object owner() {
    return owner.get();
  }

  /**
   * Ends {@code attempt} when {@code owner} (the application's connection object) is collected,
   * for an application that neither reads nor closes a response body (the library then keeps its
   * socket until collection too). Ending twice is harmless: the engine ends an attempt once.
   */
  static void endWhenUnreachable(Object owner, Attempt attempt) {
    if (owner != null) {
      CLEANER.register(owner, attempt::onEnd);
    }
  }

  void captureStreamed(byte[] b, int off, int len) {
    if (streamedOverflow) {
      return;
    }
    if (streamed == null) {
      streamed = new ByteArrayOutputStream(Math.min(Math.max(len, 256), OutboundCall.MAX_REPLAY_BYTES));
    }
    if (streamed.size() + len > OutboundCall.MAX_REPLAY_BYTES) {
      streamedOverflow = true;
      streamed = null;
      call.bodyReplayable(false);
      return;
    }
    streamed.write(b, off, len);
  }

  /** The streamed body as written by the application, or null when it was too large to keep. */
  byte[] streamedBody() {
    if (streamedOverflow) {
      return null;
    }
    return streamed == null ? new byte[0] : streamed.toByteArray();
  }
}
