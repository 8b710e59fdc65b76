package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import java.io.IOException;
import java.net.Proxy;
import java.util.Iterator;
import java.util.List;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.internal.connection.RealCall;

/**
 * The application interceptor inmesh adds to every {@code OkHttpClient}, last among the
 * application's own (so the mesh sees the request as the application's interceptors left it, as a
 * sidecar would, and above OkHttp's {@code RetryAndFollowUpInterceptor}, so OkHttp's own retries
 * and follow-ups stay inside one attempt and never re-send an answer the mesh gave itself). It takes
 * the call's one mesh decision and hands the call to {@link OkHttpMeshCall}; any other call (not
 * plain {@code http}, through a proxy, not a mesh host) proceeds untouched.
 */
public final class MeshInterceptor implements Interceptor {
  private static final MeshInterceptor INSTANCE = new MeshInterceptor();

  private MeshInterceptor() {}

  /**
   * Puts the mesh interceptor last among the builder's application interceptors, exactly once:
   * a builder from {@code client.newBuilder()} already holds it (maybe no longer last, when the
   * application added interceptors since), so earlier copies are taken out first.
   */
  public static void addTo(OkHttpClient.Builder builder) {
    try {
      List<Interceptor> interceptors = builder.interceptors();
      removeOurs(interceptors, MeshInterceptor.class);
      interceptors.add(INSTANCE);
      List<Interceptor> network = builder.networkInterceptors();
      removeOurs(network, FollowUpHostInterceptor.class);
      network.add(0, FollowUpHostInterceptor.INSTANCE);
    } catch (Throwable t) {
      Mesh.failed("okhttp", t);
    }
  }

  /** By name: a copy of the helper injected into another class loader is ours too. */
  private static void removeOurs(List<Interceptor> interceptors, Class<?> type) {
    for (Iterator<Interceptor> it = interceptors.iterator(); it.hasNext(); ) {
      Interceptor i = it.next();
      if (i != null && i.getClass().getName().equals(type.getName())) {
        it.remove();
      }
    }
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    OutboundCall call = null;
    try {
      if ("http".equals(request.url().scheme()) && !proxied(chain)) {
        // the blocking start-up wait is right here: a synchronous call waits on the application's
        // thread; an enqueued one was held back before the dispatcher (DeferredEnqueue), so by now
        // the wait is over and this returns at once
        call = Mesh.outboundWaiting(new OkHttpRequestView(request));
      }
    } catch (Throwable t) {
      Mesh.failed("okhttp", t);
      call = null;
    }
    if (call == null) {
      return chain.proceed(PassThroughTrace.of(request));
    }
    OkHttpMeshCall meshCall = new OkHttpMeshCall(chain, request, call);
    Response response = meshCall.run();
    return meshCall.answeredLocally() ? MeshRedirects.follow(chain, request, response) : response;
  }

  /** A client with an explicit proxy sends through it, untouched (as the JDK adapters do). */
  private static boolean proxied(Chain chain) {
    if (chain.call() instanceof RealCall) {
      Proxy proxy = ((RealCall) chain.call()).getClient().proxy();
      return proxy != null && proxy.type() != Proxy.Type.DIRECT;
    }
    return false;
  }
}
