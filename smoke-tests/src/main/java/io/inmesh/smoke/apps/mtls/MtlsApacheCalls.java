package io.inmesh.smoke.apps.mtls;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/**
 * A plain application (no inmesh code) calling other services with Apache HttpClient as most code
 * configures it: {@code HttpClients.createDefault()} (5.x classic), {@code HttpAsyncClients.createDefault()}
 * (5.x async), and HttpClient 4.5's {@code HttpClients.createDefault()}, pooling on, {@code http://} URLs,
 * one client of each kind for every call. The test asks it on
 * {@code /call?client=apache5|apache5-async|apache4&url=U[&forge=1]} ({@code forge}: the request carries a
 * forged {@code X-Forwarded-Client-Cert}); it answers {@code status=}, {@code reason=} (the mesh's
 * {@code x-inmesh-reason}) and the callee's body, or {@code error=} with the exception.
 *
 * <p>Usage: {@code MtlsApacheCalls <address> <port>}.
 */
public final class MtlsApacheCalls {
  static final String FORGED = "By=spiffe://cluster.local/ns/default/sa/forger;Hash=00;Subject=\"\";URI=spiffe://cluster.local/ns/default/sa/admin";
  private static final CloseableHttpClient CLASSIC = HttpClients.createDefault();
  private static final CloseableHttpAsyncClient ASYNC = HttpAsyncClients.createDefault();
  private static final org.apache.http.impl.client.CloseableHttpClient CLASSIC4 = org.apache.http.impl.client.HttpClients.createDefault();

  private MtlsApacheCalls() {}

  public static void main(String[] args) throws IOException {
    ASYNC.start();
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/call", MtlsApacheCalls::call);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    System.out.println("mtls apache caller listening on " + server.getAddress());
  }

  static String call(String client, String url, boolean forge) throws Exception {
    switch (client) {
      case "apache5" -> {
        HttpGet get = new HttpGet(url);
        if (forge) {
          get.addHeader("X-Forwarded-Client-Cert", FORGED);
        }
        return CLASSIC.execute(get, r -> {
          Header reason = r.getFirstHeader("x-inmesh-reason");
          String body = r.getEntity() == null ? "" : EntityUtils.toString(r.getEntity(), StandardCharsets.UTF_8);
          return "status=" + r.getCode() + "\nreason=" + (reason == null ? "" : reason.getValue()) + "\n" + body;
        });
      }
      case "apache5-async" -> {
        SimpleRequestBuilder b = SimpleRequestBuilder.get(url);
        if (forge) {
          b.addHeader("X-Forwarded-Client-Cert", FORGED);
        }
        SimpleHttpResponse r;
        try {
          r = ASYNC.execute(b.build(), null).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
        Header reason = r.getFirstHeader("x-inmesh-reason");
        String body = r.getBodyText();
        return "status=" + r.getCode() + "\nreason=" + (reason == null ? "" : reason.getValue()) + "\n" + (body == null ? "" : body);
      }
      case "apache4" -> {
        org.apache.http.client.methods.HttpGet get = new org.apache.http.client.methods.HttpGet(url);
        if (forge) {
          get.addHeader("X-Forwarded-Client-Cert", FORGED);
        }
        try (org.apache.http.client.methods.CloseableHttpResponse r = CLASSIC4.execute(get)) {
          org.apache.http.Header reason = r.getFirstHeader("x-inmesh-reason");
          String body = r.getEntity() == null ? "" : org.apache.http.util.EntityUtils.toString(r.getEntity(), StandardCharsets.UTF_8);
          return "status=" + r.getStatusLine().getStatusCode() + "\nreason=" + (reason == null ? "" : reason.getValue()) + "\n" + body;
        }
      }
      default -> throw new IllegalArgumentException("unknown client " + client);
    }
  }

  private static void call(HttpExchange ex) throws IOException {
    Map<String, String> q = new HashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String kv : raw.split("&")) {
        int eq = kv.indexOf('=');
        q.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    String out;
    try {
      out = call(q.getOrDefault("client", "apache5"), q.get("url"), q.containsKey("forge"));
    } catch (Exception e) {
      out = "error=" + e + "\n";
    }
    byte[] bytes = out.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(200, bytes.length);
    try (OutputStream o = ex.getResponseBody()) {
      o.write(bytes);
    }
  }
}
