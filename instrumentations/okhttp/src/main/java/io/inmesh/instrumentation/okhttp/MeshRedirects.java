package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import java.io.IOException;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okhttp3.internal.connection.RealCall;

/**
 * Follows a redirect the mesh answered itself (Istio HTTPRedirect) as OkHttp follows an upstream's:
 * behind a sidecar the client's own {@code followRedirects} would follow it. OkHttp's follow-ups
 * happen below the mesh's interceptor, so they never see a local answer; this does it instead, with
 * OkHttp's rules (at most 20 follow-ups, 307/308 keep method and body, the others turn a request
 * with a body into a GET, {@code Authorization} dropped across hosts, {@code followSslRedirects})
 * and with the follow-up routed anew by the mesh (a new logical call), the answers chained as
 * {@code priorResponse}.
 */
final class MeshRedirects {
  private static final int MAX_FOLLOW_UPS = 20;

  private MeshRedirects() {}

  static Response follow(Interceptor.Chain chain, Request request, Response response) throws IOException {
    OkHttpClient client = chain.call() instanceof RealCall ? ((RealCall) chain.call()).getClient() : null;
    if (client == null || !client.followRedirects()) {
      return response;
    }
    Request current = request;
    Response answer = response;
    boolean local = true;
    for (int n = 0; local && n < MAX_FOLLOW_UPS; n++) {
      Request next = followUp(client, current, answer);
      if (next == null) {
        return answer;
      }
      answer.close();
      Response prior = withoutBody(answer);
      OutboundCall call = null;
      try {
        if ("http".equals(next.url().scheme())) {
          call = Mesh.outbound(new OkHttpRequestView(next));
        }
      } catch (Throwable t) {
        Mesh.failed("okhttp", t);
      }
      Response r;
      if (call == null) {
        r = chain.proceed(PassThroughTrace.of(next)); // not the mesh's: OkHttp follows whatever comes next itself
        local = false;
      } else {
        OkHttpMeshCall meshCall = new OkHttpMeshCall(chain, next, call);
        r = meshCall.run();
        local = meshCall.answeredLocally();
      }
      answer = r.newBuilder().priorResponse(prior).build();
      current = next;
    }
    return answer;
  }

  /** A prior response as OkHttp keeps one: 4.x wants no body there, 5.x has no null body. */
  private static Response withoutBody(Response response) {
    try {
      return response.newBuilder().body(null).build();
    } catch (RuntimeException e) {
      return response.newBuilder().body(ResponseBody.create(new byte[0], null)).build();
    }
  }

  /** OkHttp's RetryAndFollowUpInterceptor rules for a 3xx; null when it is not followed. */
  private static Request followUp(OkHttpClient client, Request request, Response response) {
    int code = response.code();
    if (code != 300 && code != 301 && code != 302 && code != 303 && code != 307 && code != 308) {
      return null;
    }
    String location = response.header("Location");
    HttpUrl url = location == null ? null : request.url().resolve(location);
    if (url == null || (!url.scheme().equals(request.url().scheme()) && !client.followSslRedirects())) {
      return null;
    }
    Request.Builder b = request.newBuilder();
    String method = request.method();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      boolean keepMethod = method.equals("PROPFIND") || code == 307 || code == 308;
      if (keepMethod) {
        b.method(method, code == 307 || code == 308 || method.equals("PROPFIND") ? request.body() : null);
      } else {
        b.method("GET", null);
        b.removeHeader("Transfer-Encoding");
        b.removeHeader("Content-Length");
        b.removeHeader("Content-Type");
      }
    }
    if (!(url.host().equals(request.url().host()) && url.port() == request.url().port() && url.scheme().equals(request.url().scheme()))) {
      b.removeHeader("Authorization");
    }
    return b.url(url).build();
  }
}
