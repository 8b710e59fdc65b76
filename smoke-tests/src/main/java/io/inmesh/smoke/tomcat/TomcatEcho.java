package io.inmesh.smoke.tomcat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.catalina.util.ServerInfo;

/**
 * What the echo servlets answer, free of the Servlet API (each servlet is the few lines of its own
 * API around this): {@code /call?url=U} calls U with the JDK {@code HttpClient} (the default client,
 * as applications write it) and answers {@code status=}, {@code reason=} (the mesh's
 * {@code x-inmesh-reason}) and the callee's body, or {@code error=}; {@code /stop-connector?port=N}
 * stops a connector; {@code /status/N} answers status N ({@link #status}); anything else answers key=value lines naming the Tomcat version, the listener,
 * the path, the scheme and the {@code X-Forwarded-Client-Cert} the application received (empty when
 * none).
 */
final class TomcatEcho {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build();

  private TomcatEcho() {}

  /** The status to answer: N for {@code /status/N}, else 200. */
  static int status(String uri) {
    return uri.startsWith("/status/") ? Integer.parseInt(uri.substring(8)) : 200;
  }

  static String answer(String uri, String query, String xfcc, String localAddr, int localPort, String scheme) {
    if (uri.equals("/call") && query != null && query.startsWith("url=")) {
      return call(java.net.URLDecoder.decode(query.substring(4), StandardCharsets.UTF_8));
    }
    if (uri.equals("/stop-connector") && query != null && query.startsWith("port=")) {
      return TomcatLineApp.stopConnector(Integer.parseInt(query.substring(5)));
    }
    return "tomcat=" + ServerInfo.getServerNumber() + "\nlistener=" + localAddr + ":" + localPort + "\npath=" + uri + (query == null ? "" : "?" + query)
        + "\nscheme=" + scheme + "\nxfcc=" + (xfcc == null ? "" : xfcc) + "\n";
  }

  private static String call(String url) {
    try {
      HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      return "status=" + r.statusCode() + "\nreason=" + r.headers().firstValue("x-inmesh-reason").orElse("") + "\n" + r.body();
    } catch (Exception e) {
      return "error=" + e + "\n";
    }
  }
}
