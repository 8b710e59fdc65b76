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
  /** An injected delay outlasted the application's read timeout: the read fails as it would behind a sidecar. */
  boolean delayOutlastedReadTimeout;

  UrlConnectionCall(OutboundCall call, URL logicalUrl) {
    this.call = call;
    this.logicalUrl = logicalUrl;
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
