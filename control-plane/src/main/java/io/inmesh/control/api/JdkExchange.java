package io.inmesh.control.api;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** An exchange of the JDK's {@code HttpsServer} (the {@code --listen-tls} listener). */
final class JdkExchange implements Exchange {

  private final HttpExchange exchange;

  JdkExchange(HttpExchange exchange) {
    this.exchange = exchange;
  }

  @Override
  public String method() {
    return exchange.getRequestMethod();
  }

  @Override
  public URI uri() {
    return exchange.getRequestURI();
  }

  @Override
  public String requestHeader(String name) {
    return exchange.getRequestHeaders().getFirst(name);
  }

  @Override
  public byte[] requestBody(int limit) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      return in.readNBytes(limit + 1);
    }
  }

  @Override
  public void responseHeader(String name, String value) {
    exchange.getResponseHeaders().set(name, value);
  }

  @Override
  public void respond(int status, byte[] body) throws IOException {
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    exchange.close();
  }

  @Override
  public List<X509Certificate> peerCertificates() {
    if (exchange instanceof com.sun.net.httpserver.HttpsExchange https) {
      try {
        List<X509Certificate> out = new ArrayList<>();
        for (java.security.cert.Certificate c : https.getSSLSession().getPeerCertificates()) {
          out.add((X509Certificate) c);
        }
        return out;
      } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
        return List.of();
      }
    }
    return List.of();
  }
}
