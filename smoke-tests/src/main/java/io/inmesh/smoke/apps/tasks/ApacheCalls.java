package io.inmesh.smoke.apps.tasks;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.HttpComponentsClientHttpRequestFactory;
import org.springframework.web.client.ResponseErrorHandler;
import org.springframework.web.client.RestTemplate;

/**
 * The task caller's Apache HttpClient clients, built as applications build them: {@code apache5}
 * (the classic client from {@code HttpClients.custom().build()}), {@code apache5-async}
 * ({@code HttpAsyncClients.custom()} with one I/O reactor thread, so anything that blocked it would
 * stall every call) and {@code apache5-resttemplate} (Spring's RestTemplate over
 * {@code HttpComponentsClientHttpRequestFactory}), and {@code apache4} (HttpClient 4.5's
 * {@code HttpClients.custom().build()}). Each call carries the application's own timeout
 * as the request's response timeout. One client of each kind serves every call.
 */
final class ApacheCalls {
  private static final CloseableHttpClient CLASSIC = HttpClients.custom().build();
  private static final CloseableHttpAsyncClient ASYNC = startAsync();
  private static final RestTemplate REST = restTemplate();
  private static final org.apache.http.impl.client.CloseableHttpClient CLASSIC4 = org.apache.http.impl.client.HttpClients.custom().build();

  private ApacheCalls() {}

  private static CloseableHttpAsyncClient startAsync() {
    CloseableHttpAsyncClient c = HttpAsyncClients.custom().setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(1).build()).build();
    c.start();
    return c;
  }

  private static RestTemplate restTemplate() {
    RestTemplate rt = new RestTemplate(new HttpComponentsClientHttpRequestFactory(HttpClients.custom().build()));
    rt.setErrorHandler(new ResponseErrorHandler() {
      @Override
      public boolean hasError(ClientHttpResponse response) {
        return false;
      }
    });
    return rt;
  }

  /** Status, x-inmesh-reason and body of one call; throws what the library throws. */
  static String[] call(String client, String url, String method, byte[] body, List<String[]> headers, long timeoutMs) throws Exception {
    switch (client) {
      case "apache5" -> {
        HttpUriRequestBase req = new HttpUriRequestBase(method, java.net.URI.create(url));
        req.setConfig(RequestConfig.custom().setResponseTimeout(Timeout.ofMilliseconds(timeoutMs)).build());
        for (String[] h : headers) {
          req.addHeader(h[0], h[1]);
        }
        if (body.length > 0) {
          req.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_OCTET_STREAM));
        }
        return CLASSIC.execute(req, response -> {
          Header reason = response.getFirstHeader("x-inmesh-reason");
          String text = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
          return new String[] {String.valueOf(response.getCode()), reason == null ? null : reason.getValue(), text};
        });
      }
      case "apache5-async" -> {
        SimpleRequestBuilder b = SimpleRequestBuilder.create(method).setUri(url)
            .setRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.ofMilliseconds(timeoutMs)).build());
        for (String[] h : headers) {
          b.addHeader(h[0], h[1]);
        }
        if (body.length > 0) {
          b.setBody(body, ContentType.APPLICATION_OCTET_STREAM);
        }
        SimpleHttpResponse response;
        try {
          response = ASYNC.execute(b.build(), null).get(timeoutMs + 30_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          if (e.getCause() instanceof SocketTimeoutException t) {
            // the async client names a response timeout by its length only ("1,000 MILLISECONDS"); the app says what it was
            throw new SocketTimeoutException("timed out after " + t.getMessage());
          }
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
        Header reason = response.getFirstHeader("x-inmesh-reason");
        String text = response.getBodyText();
        return new String[] {String.valueOf(response.getCode()), reason == null ? null : reason.getValue(), text == null ? "" : text};
      }
      case "apache5-resttemplate" -> {
        HttpHeaders h = new HttpHeaders();
        for (String[] kv : headers) {
          h.add(kv[0], kv[1]);
        }
        HttpComponentsClientHttpRequestFactory f = (HttpComponentsClientHttpRequestFactory) REST.getRequestFactory();
        f.setReadTimeout((int) timeoutMs);
        ResponseEntity<String> r = REST.exchange(url, HttpMethod.valueOf(method), new HttpEntity<>(body.length > 0 ? body : null, h), String.class);
        return new String[] {String.valueOf(r.getStatusCode().value()), r.getHeaders().getFirst("x-inmesh-reason"), r.getBody() == null ? "" : r.getBody()};
      }
      case "apache4" -> {
        org.apache.http.client.methods.RequestBuilder b = org.apache.http.client.methods.RequestBuilder.create(method).setUri(url)
            .setConfig(org.apache.http.client.config.RequestConfig.custom().setSocketTimeout((int) timeoutMs).build());
        for (String[] h : headers) {
          b.addHeader(h[0], h[1]);
        }
        if (body.length > 0) {
          b.setEntity(new org.apache.http.entity.ByteArrayEntity(body));
        }
        try (org.apache.http.client.methods.CloseableHttpResponse r = CLASSIC4.execute(b.build())) {
          org.apache.http.Header reason = r.getFirstHeader("x-inmesh-reason");
          String text = r.getEntity() == null ? "" : org.apache.http.util.EntityUtils.toString(r.getEntity(), StandardCharsets.UTF_8);
          return new String[] {String.valueOf(r.getStatusLine().getStatusCode()), reason == null ? null : reason.getValue(), text};
        }
      }
      default -> throw new IllegalArgumentException("unknown client " + client);
    }
  }

  /**
   * Starts the task caller, plus {@code GET /race?slow=U1&fast=U2&h=name:value[&slowWaitMs=W]} on
   * port + 1: sends U1 (with the headers) and then U2 on the async client, and answers which
   * completed first, {@code {"first":"fast"|"slow","slowStatus":..,"fastStatus":..}} (slowStatus
   * {@code pending} when U1 has not completed W ms, default 40000, after U2 did). With one reactor
   * thread, a delay held on that thread, or on the application's, would make the slow call finish first.
   */
  public static void main(String[] args) throws IOException {
    TaskCallerApp.main(args);
    HttpServer race = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1]) + 1), 16);
    race.createContext("/race", ex -> {
      String slow = null;
      String fast = null;
      long slowWaitMs = 40_000;
      SimpleRequestBuilder slowReq = null;
      List<String[]> hs = new ArrayList<>();
      for (String kv : ex.getRequestURI().getRawQuery().split("&")) {
        int eq = kv.indexOf('=');
        String k = kv.substring(0, eq);
        String v = URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
        switch (k) {
          case "slow" -> slow = v;
          case "fast" -> fast = v;
          case "slowWaitMs" -> slowWaitMs = Long.parseLong(v);
          case "h" -> hs.add(new String[] {v.substring(0, v.indexOf(':')).trim(), v.substring(v.indexOf(':') + 1).trim()});
          default -> { }
        }
      }
      slowReq = SimpleRequestBuilder.get(slow);
      for (String[] h : hs) {
        slowReq.addHeader(h[0], h[1]);
      }
      List<String> finished = Collections.synchronizedList(new ArrayList<>());
      Future<SimpleHttpResponse> s = ASYNC.execute(slowReq.build(), done("slow", finished));
      Future<SimpleHttpResponse> f = ASYNC.execute(SimpleRequestBuilder.get(fast).build(), done("fast", finished));
      String json;
      try {
        int fastStatus = f.get(40, TimeUnit.SECONDS).getCode();
        String slowStatus;
        try {
          slowStatus = String.valueOf(s.get(slowWaitMs, TimeUnit.MILLISECONDS).getCode());
        } catch (java.util.concurrent.TimeoutException e) {
          slowStatus = "pending";
        }
        json = "{\"first\":\"" + finished.get(0) + "\",\"slowStatus\":\"" + slowStatus + "\",\"fastStatus\":\"" + fastStatus + "\"}";
      } catch (Exception e) {
        json = "{\"first\":\"\",\"error\":\"" + e.toString().replace('"', '\'') + "\"}";
      }
      byte[] b = json.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    race.setExecutor(Executors.newFixedThreadPool(2));
    race.start();
  }

  private static FutureCallback<SimpleHttpResponse> done(String name, List<String> finished) {
    return new FutureCallback<>() {
      @Override
      public void completed(SimpleHttpResponse result) {
        finished.add(name);
      }

      @Override
      public void failed(Exception ex) {
        finished.add(name);
      }

      @Override
      public void cancelled() {
        finished.add(name);
      }
    };
  }
}
