package io.inmesh.instrumentation.httpurlconnection;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.OutboundRequest;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;

/**
 * Decides a {@code HttpURLConnection} call and returns the physical URL its connection should use.
 * The connection keeps its logical URL (the Host header, {@code getURL()}, redirects), while the
 * underlying {@code sun.net.www.http.HttpClient} — and so the keep-alive cache, which is keyed by
 * that URL — is per physical endpoint. A local answer goes to the agent's responder with the
 * answer named in the path.
 */
public final class UrlConnectionRouting {
  private UrlConnectionRouting() {}

  /** The URL to connect with, or null to leave the call untouched. */
  public static URL route(HttpURLConnection connection, URL url) {
    if (url == null || !"http".equalsIgnoreCase(url.getProtocol())) {
      return null;
    }
    OutboundCall call = Mesh.outbound(new View(connection, url));
    if (call == null) {
      return null;
    }
    InetSocketAddress address = call.nextAddress();
    if (address == null) {
      return null;
    }
    String file = call.isLocalReply() ? call.localReplyPath() : url.getFile();
    if (file == null || file.isEmpty()) {
      file = "/";
    }
    try {
      return new URL("http", address.getAddress().getHostAddress(), address.getPort(), file);
    } catch (java.net.MalformedURLException e) {
      Mesh.failed("http-url-connection", e);
      return null;
    }
  }

  /** {@link OutboundRequest} over a not-yet-connected {@code HttpURLConnection}. */
  static final class View implements OutboundRequest {
    private final HttpURLConnection connection;
    private final URL url;

    View(HttpURLConnection connection, URL url) {
      this.connection = connection;
      this.url = url;
    }

    @Override
    public String method() {
      return connection.getRequestMethod();
    }

    @Override
    public String scheme() {
      return url.getProtocol();
    }

    @Override
    public String host() {
      return url.getHost();
    }

    @Override
    public int port() {
      return url.getPort();
    }

    @Override
    public String path() {
      String f = url.getFile();
      return f == null || f.isEmpty() ? "/" : f;
    }

    @Override
    public String header(String name) {
      try {
        return connection.getRequestProperty(name);
      } catch (IllegalStateException alreadyConnected) {
        return null;
      }
    }
  }
}
