package io.inmesh.smoke.apps.trace;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** The frontend's OkHttp client, as users write it: one client, {@code execute} on the serving thread. */
final class TraceOkHttpCalls {
  private static final OkHttpClient CLIENT = new OkHttpClient.Builder().connectTimeout(5, TimeUnit.SECONDS).readTimeout(10, TimeUnit.SECONDS).build();

  private TraceOkHttpCalls() {}

  static String get(String url) throws IOException {
    try (Response r = CLIENT.newCall(new Request.Builder().url(url).build()).execute()) {
      return r.body().string();
    }
  }
}
