package io.inmesh.instrumentation.okhttp;

import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A network interceptor inmesh adds next to {@link MeshInterceptor}. An attempt's request carries
 * the logical name in an explicit {@code Host} header, and OkHttp's redirect follow-ups copy the
 * request's headers: a redirect to another host would reach it with the mesh service's name. Here,
 * just before such a follow-up is written, its {@code Host} header becomes its own URL's again.
 * Requests to the attempt's endpoint (the attempt itself, a relative redirect, an authentication
 * retry) keep the logical name.
 *
 * <p>It is also where an mTLS attempt fails closed: it runs first among the network interceptors,
 * once OkHttp has a connection and before any byte of the request is written, and refuses a request
 * to the attempt's endpoint whose connection is not the attempt's mesh mTLS ({@link MeshTlsAddress#check}).
 */
public final class FollowUpHostInterceptor implements Interceptor {
  static final FollowUpHostInterceptor INSTANCE = new FollowUpHostInterceptor();

  private FollowUpHostInterceptor() {}

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    AttemptTarget target = request.tag(AttemptTarget.class);
    if (target != null) {
      if (!(target.host.equals(request.url().host()) && target.port == request.url().port())) {
        request = request.newBuilder().header("Host", OkHttpRequestView.hostHeader(request.url())).build();
      } else if (target.kit != null) {
        MeshTlsAddress.check(chain.connection(), target);
      }
    }
    return chain.proceed(request);
  }
}
