package io.inmesh.smoke.apps.tasks;

import feign.Feign;
import feign.HeaderMap;
import feign.Request;
import feign.RequestLine;
import feign.Response;
import feign.Retryer;
import feign.Target;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The task caller's OpenFeign ({@code feign}): a Feign interface over Feign's default client
 * ({@code Client.Default}, {@code HttpURLConnection}), without Feign's own retries
 * ({@code Retryer.NEVER_RETRY}, Spring Cloud OpenFeign's default), the URL a {@code URI} parameter,
 * the application's timeout as the call's {@code Request.Options} read timeout; the raw
 * {@code feign.Response} is returned, so every status reaches the application as it came.
 */
final class FeignCalls {
  /** Any URL, as a Feign interface. */
  interface AnyUrl {
    @RequestLine("GET")
    Response get(URI url, @HeaderMap Map<String, Object> headers, Request.Options options);

    @RequestLine("POST")
    Response post(URI url, @HeaderMap Map<String, Object> headers, Request.Options options, byte[] body);
  }

  private static final AnyUrl FEIGN = Feign.builder().retryer(Retryer.NEVER_RETRY).target(Target.EmptyTarget.create(AnyUrl.class));

  private FeignCalls() {}

  /** {status, x-inmesh-reason, body}; throws what Feign throws (a timeout, a refused connection). */
  static String[] call(String url, String method, byte[] body, List<String[]> headers, long timeoutMs) throws Exception {
    Map<String, Object> h = new LinkedHashMap<>();
    for (String[] kv : headers) {
      h.put(kv[0], kv[1]);
    }
    Request.Options options = new Request.Options(3000, TimeUnit.MILLISECONDS, timeoutMs, TimeUnit.MILLISECONDS, true);
    URI uri = URI.create(url);
    try (Response r = switch (method) {
      case "GET" -> FEIGN.get(uri, h, options);
      case "POST" -> FEIGN.post(uri, h, options, body);
      default -> throw new IllegalArgumentException("feign calls: GET or POST, not " + method);
    }) {
      String reason = null;
      for (Map.Entry<String, Collection<String>> e : r.headers().entrySet()) {
        if (e.getKey() != null && e.getKey().equalsIgnoreCase("x-inmesh-reason") && !e.getValue().isEmpty()) {
          reason = e.getValue().iterator().next();
        }
      }
      String content = "";
      if (r.body() != null) {
        try (InputStream in = r.body().asInputStream()) {
          content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
      return new String[] {String.valueOf(r.status()), reason, content};
    }
  }
}
