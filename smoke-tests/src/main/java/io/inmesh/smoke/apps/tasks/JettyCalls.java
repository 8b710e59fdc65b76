package io.inmesh.smoke.apps.tasks;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;

/**
 * TaskCallerApp's Jetty 12 client ({@code jetty}), as most code makes it (no inmesh code): one
 * {@code HttpClient}, started at its first use, {@code newRequest(url).method(m).timeout(T).send()},
 * with the request's body when there is one; the application's timeout is the request's total
 * timeout. Needs Jetty's client jars on the application's class path (the test adds them); without
 * them the other clients of TaskCallerApp work as before.
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

  /** {status, x-inmesh-reason, body}; throws what Jetty throws (a refused connection; its timeout as "timed out"). */
  static String[] call(String url, String method, byte[] body, List<String[]> headers, long timeoutMs) throws Exception {
    Request req = client().newRequest(url).method(method).timeout(timeoutMs, TimeUnit.MILLISECONDS);
    for (String[] h : headers) {
      req.headers(f -> f.add(h[0], h[1]));
    }
    if (body.length > 0) {
      req.body(new BytesRequestContent("application/octet-stream", body));
    }
    ContentResponse resp;
    try {
      resp = req.send();
    } catch (java.util.concurrent.TimeoutException e) {
      // the application's own timeout (Jetty's "Total timeout T ms elapsed"), said as the other clients say it
      throw new java.util.concurrent.TimeoutException("timed out (" + e.getMessage() + ")");
    }
    return new String[] {String.valueOf(resp.getStatus()), resp.getHeaders().get("x-inmesh-reason"), resp.getContentAsString()};
  }
}
