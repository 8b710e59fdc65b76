package io.inmesh.smoke.apps.mtls;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Handshake;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The mTLS caller's OkHttp calls, as most code writes them (no inmesh code): a default
 * {@code new OkHttpClient()} made once (connection pooling on), {@code http://} URLs, {@code execute}
 * or {@code enqueue}. It answers as {@link MtlsCallerApp} does, plus {@code handshake=} (the TLS
 * version of the connection OkHttp used, {@code none} for plain text), {@code pool=} (the client's
 * pooled connections) and {@code okhttp=} (the version that made the call).
 *
 * <p>OkHttp 4.12 is on the application's class path; with {@code -Dtasks.okhttp5.classpath=JARS}
 * the {@code 5} calls are made by a second copy of this class loaded with OkHttp 5's jars in a class
 * loader of its own (as apps/tasks/OkHttpCalls does), so one JVM runs both versions.
 */
public final class MtlsOkHttpCalls {
  static final String FORGED = "By=spiffe://cluster.local/ns/default/sa/forger;Hash=00;Subject=\"\";URI=spiffe://cluster.local/ns/default/sa/admin";
  private static final OkHttpClient CLIENT = new OkHttpClient();
  private static volatile Method okHttp5;

  private MtlsOkHttpCalls() {}

  /** One call with OkHttp {@code major} ("4" or "5"); never throws. */
  public static String call(String major, String url, boolean async, boolean forge) {
    try {
      String cp = System.getProperty("tasks.okhttp5.classpath");
      if ("5".equals(major) && cp != null && !version().startsWith("5")) {
        return (String) okHttp5(cp).invoke(null, major, url, async, forge);
      }
      if (!version().startsWith(major)) {
        return "error=OkHttp " + major + " asked, " + version() + " on the class path\n";
      }
      Request.Builder b = new Request.Builder().url(url);
      if (forge) {
        b.header("X-Forwarded-Client-Cert", FORGED);
      }
      Call call = CLIENT.newCall(b.build());
      Response r = async ? enqueue(call) : call.execute();
      try (ResponseBody body = r.body()) {
        Handshake h = r.handshake();
        String reason = r.header("x-inmesh-reason");
        return "status=" + r.code() + "\nreason=" + (reason == null ? "" : reason) + "\nhandshake=" + (h == null ? "none" : h.tlsVersion().javaName())
            + "\npool=" + CLIENT.connectionPool().connectionCount() + "\nokhttp=" + version() + "\n" + (body == null ? "" : body.string());
      }
    } catch (Exception e) {
      return "error=" + e + "\nokhttp=" + version() + "\n";
    }
  }

  private static Response enqueue(Call call) throws Exception {
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
      return f.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  static String version() {
    try {
      return String.valueOf(Class.forName("okhttp3.OkHttp", true, MtlsOkHttpCalls.class.getClassLoader()).getField("VERSION").get(null));
    } catch (ReflectiveOperationException | LinkageError e) {
      return "?";
    }
  }

  private static Method okHttp5(String classpath) throws Exception {
    Method m = okHttp5;
    if (m == null) {
      synchronized (MtlsOkHttpCalls.class) {
        m = okHttp5;
        if (m == null) {
          List<URL> urls = new ArrayList<>();
          urls.add(MtlsOkHttpCalls.class.getProtectionDomain().getCodeSource().getLocation());
          for (String jar : classpath.split(File.pathSeparator)) {
            urls.add(new File(jar).toURI().toURL());
          }
          ClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
          m = Class.forName(MtlsOkHttpCalls.class.getName(), true, loader).getMethod("call", String.class, String.class, boolean.class, boolean.class);
          okHttp5 = m;
        }
      }
    }
    return m;
  }
}
