package io.inmesh.instrumentation.httpurlconnection;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.UpstreamTls;
import io.opentelemetry.instrumentation.api.util.VirtualField;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.net.Socket;
import java.net.URL;
import javax.net.ssl.SSLSocket;
import sun.net.www.http.HttpClient;

/**
 * Mesh mTLS for {@code HttpURLConnection}: an attempt that must go out over mTLS asks the library
 * for a connection to {@code https://<endpoint>} (the application's URL stays {@code http://}, and
 * the keep-alive cache, keyed by protocol, never hands a plain connection to an mTLS attempt or the
 * reverse); the plain {@code sun.net.www.http.HttpClient} the library makes for it is turned into
 * TLS right after its socket connects ({@code openServer(host, port)}), with the mesh's socket
 * factory (this workload's certificate, the mesh roots, the destination's SPIFFE IDs), before any
 * byte of the request is written. A plain client for an {@code https} URL only ever comes from
 * here; without its mesh TLS it refuses to connect: never plain text.
 */
public final class UrlConnectionTls {
  private static final ThreadLocal<UpstreamTls> CONNECTING = new ThreadLocal<>();
  private static final VirtualField<HttpClient, UpstreamTls> TLS = VirtualField.find(HttpClient.class, UpstreamTls.class);
  private static volatile Field serverSocket;
  private static volatile Field encoding;

  private UrlConnectionTls() {}

  /** The next connection this thread obtains is for an mTLS attempt. */
  public static void connecting(UpstreamTls tls) {
    if (tls == null) {
      CONNECTING.remove();
    } else {
      CONNECTING.set(tls);
    }
  }

  public static void done() {
    CONNECTING.remove();
  }

  /**
   * The library obtained {@code client} for an attempt: a kept-alive connection made for another
   * set of expected identities (a policy or registry change since) is not reused: it is closed and
   * the attempt fails as a connect failure, so the next attempt connects afresh. Never throws.
   */
  public static Throwable obtained(HttpClient client) {
    UpstreamTls tls = CONNECTING.get();
    if (tls == null || client == null || TLS.get(client) == tls) {
      return null;
    }
    try {
      client.closeServer();
    } catch (Throwable ignored) {
      // closed either way
    }
    return new java.net.ConnectException("inmesh: a kept-alive connection was verified for other identities than " + tls.expected()
        + "; it is closed and not used");
  }

  /** After {@code HttpClient.openServer(host, port)}: the exception to throw, or null. Never throws. */
  public static Throwable opened(HttpClient client, URL url, String host, int port) {
    if (client == null || client.getClass() != HttpClient.class || url == null || !"https".equals(url.getProtocol())) {
      return null; // plain http, or the application's own https (HttpsClient)
    }
    try {
      UpstreamTls tls = CONNECTING.get();
      if (tls == null) {
        tls = TLS.get(client); // a reconnect of the same client (the library's own retry)
      }
      Field socketField = serverSocketField();
      Socket plain = (Socket) socketField.get(client);
      if (tls == null) {
        plain.close();
        return refused("inmesh: this connection needs mTLS and has none; it is not used in plain text", null);
      }
      TLS.set(client, tls);
      SSLSocket s = (SSLSocket) tls.socketFactory().createSocket(plain, host, port, true);
      s.setUseClientMode(true);
      s.startHandshake();
      socketField.set(client, s);
      String enc = (String) encodingField().get(null);
      client.serverOutput = new PrintStream(new BufferedOutputStream(s.getOutputStream()), false, enc == null ? "ISO-8859-1" : enc);
      return null;
    } catch (IOException e) {
      closeQuietly(client);
      return e;
    } catch (Throwable t) {
      Mesh.failed("http-url-connection-mtls", t);
      closeQuietly(client);
      return refused("inmesh: TLS failed (" + t + "); the call is not sent in plain text", t);
    }
  }

  /**
   * Nothing was sent: a handshake failure, so the engine answers it as the connect failure it is
   * (503 UF, as the other clients do), not as a reset after the request (UC). What an unusable file
   * of a DestinationRule's SIMPLE/MUTUAL (or any error setting up the mesh's TLS) turns into.
   */
  private static IOException refused(String message, Throwable cause) {
    javax.net.ssl.SSLHandshakeException e = new javax.net.ssl.SSLHandshakeException(message);
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }

  private static void closeQuietly(HttpClient client) {
    try {
      Object s = serverSocketField().get(client);
      if (s instanceof Socket socket) {
        socket.close();
      }
    } catch (Throwable ignored) {
      // nothing more to close
    }
  }

  private static Field serverSocketField() throws NoSuchFieldException {
    Field f = serverSocket;
    if (f == null) {
      f = sun.net.NetworkClient.class.getDeclaredField("serverSocket");
      f.setAccessible(true);
      serverSocket = f;
    }
    return f;
  }

  private static Field encodingField() throws NoSuchFieldException {
    Field f = encoding;
    if (f == null) {
      f = sun.net.NetworkClient.class.getDeclaredField("encoding");
      f.setAccessible(true);
      encoding = f;
    }
    return f;
  }
}
