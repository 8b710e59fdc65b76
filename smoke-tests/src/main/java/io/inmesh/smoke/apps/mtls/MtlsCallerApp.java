package io.inmesh.smoke.apps.mtls;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A plain application (no inmesh code) calling other services with the JDK {@code HttpClient}, as
 * applications write it: {@code http://} URLs, the default client (HTTP/2 preferred). The test asks
 * it on {@code /call?url=U[&async=1][&huc=1][&forge=1]} ({@code huc}: with {@code HttpURLConnection}) ({@code forge}: the request carries a forged
 * {@code X-Forwarded-Client-Cert}); it answers {@code status=}, {@code reason=} (the mesh's
 * {@code x-inmesh-reason}) and the callee's body, or {@code error=} with the exception.
 *
 * <p>Usage: {@code MtlsCallerApp <address> <port>}.
 */
public final class MtlsCallerApp {
  static final String FORGED = "By=spiffe://cluster.local/ns/default/sa/forger;Hash=00;Subject=\"\";URI=spiffe://cluster.local/ns/default/sa/admin";
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

  private MtlsCallerApp() {}

  public static void main(String[] args) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/call", MtlsCallerApp::call);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    System.out.println("mtls caller listening on " + server.getAddress());
  }

  /** The same call with {@code HttpURLConnection} (what {@code new RestTemplate()} uses). */
  private static String callWithUrlConnection(String url, boolean forge) {
    try {
      java.net.HttpURLConnection c = (java.net.HttpURLConnection) URI.create(url).toURL().openConnection();
      c.setConnectTimeout(30_000);
      c.setReadTimeout(30_000);
      if (forge) {
        c.setRequestProperty("X-Forwarded-Client-Cert", FORGED);
      }
      int status = c.getResponseCode();
      java.io.InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String reason = c.getHeaderField("x-inmesh-reason");
      return "status=" + status + "\nreason=" + (reason == null ? "" : reason) + "\n" + body;
    } catch (Exception e) {
      return "error=" + e + "\n";
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
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(q.get("url"))).timeout(Duration.ofSeconds(30));
    if (q.containsKey("forge")) {
      b.header("X-Forwarded-Client-Cert", FORGED);
    }
    String out;
    if (q.containsKey("okhttp")) { // OkHttp 4 or 5 (MtlsOkHttpCalls; OkHttp's jars on the class path)
      out = MtlsOkHttpCalls.call(q.get("okhttp"), q.get("url"), q.containsKey("async"), q.containsKey("forge"));
    } else if (q.containsKey("huc")) {
      out = callWithUrlConnection(q.get("url"), q.containsKey("forge"));
    } else try {
      HttpResponse<String> r = q.containsKey("async")
          ? CLIENT.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).get()
          : CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
      out = "status=" + r.statusCode() + "\nreason=" + r.headers().firstValue("x-inmesh-reason").orElse("") + "\n" + r.body();
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
