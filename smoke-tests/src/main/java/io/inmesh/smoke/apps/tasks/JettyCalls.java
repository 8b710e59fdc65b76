package io.inmesh.smoke.apps.tasks;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;

/**
 * The task caller's Jetty {@code HttpClient} 12 ({@code jetty}): one client, started at first use,
 * blocking {@code newRequest(url).method(m).timeout(T).send()} as applications write it; the
 * application's timeout is the request's total timeout. Jetty's jars come from target/jetty12 (the
 * test puts them on the caller's class path).
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
