package io.inmesh.smoke.apps.tasks;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;

/**
 * TaskCallerApp's Jetty 12 client ({@code jetty}), as most code makes it (no inmesh code): one
 * {@code HttpClient}, started at its first use, {@code newRequest(url).timeout(T).send()}. Needs
 * Jetty's client jars on the application's class path (the test adds them); without them the
 * other clients of TaskCallerApp work as before.
 */
final class JettyCalls {
  private static volatile HttpClient client;

  private JettyCalls() {}

  private static HttpClient client() throws Exception {
    HttpClient c = client;
    if (c == null) {
      synchronized (JettyCalls.class) {
        c = client;
        if (c == null) {
          c = new HttpClient();
          c.setConnectTimeout(3000);
          c.start();
          client = c;
        }
      }
    }
    return c;
  }

  /** One call; returns {status, x-inmesh-reason, body}. */
  static String[] call(String url, String method, List<String[]> headers, long timeoutMs) throws Exception {
    Request req = client().newRequest(url).method(method).timeout(timeoutMs, TimeUnit.MILLISECONDS);
    for (String[] h : headers) {
      req.headers(f -> f.add(h[0], h[1]));
    }
    ContentResponse r = req.send();
    return new String[] {String.valueOf(r.getStatus()), r.getHeaders().get("x-inmesh-reason"), r.getContentAsString()};
  }
}
