package io.inmesh.control.api;

import java.io.IOException;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * One HTTP request as a handler sees it, whichever server read it: the agent API's own NIO server
 * ({@link NioHttpServer}, plain HTTP) or the JDK's {@code HttpsServer} ({@code --listen-tls}).
 */
interface Exchange {

  String method();

  URI uri();

  /** A request header (case-insensitive), or null. */
  String requestHeader(String name);

  /** The whole request body (already read by the NIO server; read here, bounded, by the JDK one). */
  byte[] requestBody(int limit) throws IOException;

  void responseHeader(String name, String value);

  /** Sends the status, the headers set so far and {@code body} (empty: no body). Once. */
  void respond(int status, byte[] body) throws IOException;

  /** Ends the exchange: a connection whose exchange was never answered is closed. */
  void close();

  /** The verified TLS client chain; empty over plain HTTP. */
  List<X509Certificate> peerCertificates();
}
