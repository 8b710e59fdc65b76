package io.inmesh.smoke.apps.tasks;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The task caller's OkHttp clients, as users write them (no inmesh code): one {@code OkHttpClient}
 * built once, {@code newBuilder().callTimeout(T)} for the call's own timeout T (OkHttp's whole-call
 * timeout; its default 10 s read timeout stays), {@code execute} for {@code okhttp4}/{@code okhttp5}
 * and {@code enqueue} for {@code okhttp4-async}/{@code okhttp5-async}.
 *
 * <p>OkHttp 4.12 and 5.x share the {@code okhttp3} packages, so one class path holds one of them.
 * The application runs with the OkHttp on its class path; when that is 4.12 and
 * {@code -Dtasks.okhttp5.classpath=JARS} names OkHttp 5's jars, the {@code okhttp5} calls are made
 * by a second copy of this class loaded with those jars in a class loader of its own (parent: the
 * platform loader), so both versions run in one JVM without seeing each other.
 *
 * <p>OkHttp reports its call timeout as {@code InterruptedIOException("timeout")}; the application
 * reports any {@code InterruptedIOException} as "timed out". It also reports OkHttp's
 * {@code priorResponse} (a response OkHttp itself followed up or re-sent), as {@code prior}.
 */
public final class OkHttpCalls {
  private static final OkHttpClient CLIENT = new OkHttpClient.Builder().connectTimeout(3, TimeUnit.SECONDS).build();
  private static final Map<Long, OkHttpClient> BY_TIMEOUT = new ConcurrentHashMap<>();
  private static volatile Method okHttp5;

  private OkHttpCalls() {}

  /** One call; puts {@code prior} and {@code okhttp} (the version that made it) into {@code extra}; returns {status, x-inmesh-reason, body}. */
  public static String[] call(String client, String url, String method, byte[] body, List<String[]> headers, long timeoutMs, Map<String, String> extra)
      throws Exception {
    String cp = System.getProperty("tasks.okhttp5.classpath");
    if (client.startsWith("okhttp5") && cp != null && !version().startsWith("5")) {
      try {
        @SuppressWarnings("unchecked")
        String[] r = (String[]) okHttp5(cp).invoke(null, client, url, method, body, headers, timeoutMs, extra);
        return r;
      } catch (InvocationTargetException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    }
    if (!version().startsWith(client.substring("okhttp".length(), "okhttp".length() + 1))) {
      throw new IllegalStateException(client + " asked, OkHttp " + version() + " on the class path");
    }
    OkHttpClient http = BY_TIMEOUT.computeIfAbsent(timeoutMs, t -> CLIENT.newBuilder().callTimeout(t, TimeUnit.MILLISECONDS).build());
    Request.Builder b = new Request.Builder().url(url);
    for (String[] h : headers) {
      b.addHeader(h[0], h[1]);
    }
    boolean needsBody = method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
    b.method(method, body.length > 0 || needsBody ? RequestBody.create(body, MediaType.get("application/octet-stream")) : null);
    Call call = http.newCall(b.build());
    try {
      Response resp = client.endsWith("-async") ? enqueue(call, timeoutMs + 30_000) : call.execute();
      try (ResponseBody rb = resp.body()) {
        extra.put("prior", resp.priorResponse() == null ? "" : String.valueOf(resp.priorResponse().code()));
        extra.put("okhttp", version());
        extra.put("requestHost", resp.request().url().host());
        String reason = resp.header("x-inmesh-reason");
        return new String[] {String.valueOf(resp.code()), reason == null ? "" : reason, rb == null ? "" : rb.string()};
      }
    } catch (InterruptedIOException e) {
      throw new IOException("timed out (" + e + ")", e);
    }
  }

  private static Response enqueue(Call call, long boundMs) throws Exception {
    CompletableFuture<Response> f = new CompletableFuture<>();
    call.enqueue(new Callback() {
      @Override
      public void onFailure(Call c, IOException e) {
        f.completeExceptionally(e);
      }

      @Override
      public void onResponse(Call c, Response response) {
        f.complete(response);
      }
    });
    try {
      return f.get(boundMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  /** The OkHttp version on this class's class path (4.x: okhttp3.OkHttp.VERSION; 5.x has the same constant). */
  static String version() {
    try {
      return String.valueOf(Class.forName("okhttp3.OkHttp", true, OkHttpCalls.class.getClassLoader()).getField("VERSION").get(null));
    } catch (ReflectiveOperationException e) {
      return "?";
    }
  }

  private static Method okHttp5(String classpath) throws Exception {
    Method m = okHttp5;
    if (m == null) {
      synchronized (OkHttpCalls.class) {
        m = okHttp5;
        if (m == null) {
          List<URL> urls = new ArrayList<>();
          urls.add(OkHttpCalls.class.getProtectionDomain().getCodeSource().getLocation());
          for (String jar : classpath.split(File.pathSeparator)) {
            urls.add(new File(jar).toURI().toURL());
          }
          ClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
          m = Class.forName(OkHttpCalls.class.getName(), true, loader)
              .getMethod("call", String.class, String.class, String.class, byte[].class, List.class, long.class, Map.class);
          okHttp5 = m;
        }
      }
    }
    return m;
  }
}
