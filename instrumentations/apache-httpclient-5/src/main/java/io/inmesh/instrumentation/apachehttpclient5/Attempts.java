package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.Attempt;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.UpstreamTls;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.net.URIAuthority;
import org.apache.hc.core5.util.Timeout;

/**
 * What the classic and the async handler share: how one attempt is addressed, timed and judged.
 *
 * <p><b>Where an attempt goes.</b> Apache pools connections by {@link HttpRoute}, whose target is
 * normally the host the application wrote. Each attempt gets its own route whose target is the
 * chosen endpoint — {@code HttpHost("http", 127.0.0.11, "127.0.0.11", 8080)}, named by the address
 * itself — so the pool keeps one set of connections per physical endpoint and two endpoints of one
 * subset never share a pooled connection. The request keeps the application's authority
 * ({@code usuario-service}), which is what Apache's protocol stage writes into the Host header, so
 * the upstream and the access log see the logical name, as behind a sidecar. Naming the endpoint
 * host by its address (rather than keeping the logical name with an address attached) keeps pool
 * keys distinct whatever {@code HttpHost.equals} compares in a given version, and DNS is never asked
 * for a mesh name.
 */
public final class Attempts {
  /** Context attribute set while a mesh attempt runs down the chain: the retry gate lets it through. */
  public static final String ATTEMPT_ATTRIBUTE = "io.inmesh.attempt";
  /** Context attribute set while a classic mTLS attempt runs down the chain: its expected identities, for {@link MeshTlsGuard}. */
  public static final String MTLS_ATTRIBUTE = "io.inmesh.mtls";

  private Attempts() {}

  /** True for a call the mesh may take: plain http, no proxy on the route, a host to resolve. */
  public static boolean meshable(HttpRequest request, HttpRoute route, ApacheRequestView view) {
    if (route == null || route.getProxyHost() != null || view.host() == null) {
      return false;
    }
    return "http".equalsIgnoreCase(view.scheme()) && !"CONNECT".equalsIgnoreCase(request.getMethod());
  }

  /**
   * The route of one attempt: its endpoint, or the application's own route when the mesh passes it
   * through. An attempt that goes out over mesh mTLS ({@link Attempt#tls()}) gets the scheme of its
   * expected identities ({@link MeshTlsSchemes}): its connection is made, and pooled, apart from plain
   * ones. The route itself stays "not secure": the application's URL is {@code http://}, and what
   * Apache derives from a secure route (secure-only cookies) is the application's business.
   */
  public static HttpRoute route(Attempt attempt, HttpRoute original) {
    InetSocketAddress a = attempt.address();
    UpstreamTls tls = attempt.tls();
    if (a == null && tls == null) {
      return original;
    }
    String scheme = tls == null ? "http" : MeshTlsSchemes.scheme(tls);
    if (a == null) {
      HttpHost t = original.getTargetHost();
      return new HttpRoute(t.getAddress() != null ? new HttpHost(scheme, t.getAddress(), t.getHostName(), t.getPort()) : new HttpHost(scheme, t.getHostName(), t.getPort()),
          original.getLocalAddress(), false);
    }
    String ip = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    HttpHost target = a.getAddress() != null ? new HttpHost(scheme, a.getAddress(), ip, a.getPort()) : new HttpHost(scheme, ip, a.getPort());
    return new HttpRoute(target, original.getLocalAddress(), false);
  }

  /** The mesh scheme of a route made by {@link #route}, or null for a plain one. */
  public static String meshScheme(HttpRoute route) {
    String s = route == null ? null : route.getTargetHost().getSchemeName();
    return MeshTlsSchemes.isMesh(s) ? s : null;
  }

  /**
   * For an mTLS attempt, the connection state ("user token") its connection is leased and released
   * with, and the application's own to restore afterwards. Apache's default token handler marks a
   * connection that presented a client certificate with the certificate's principal, so that only
   * the same user gets it again; a new call's context has no token, so without this an mTLS
   * connection would never be reused. The mesh's state is the scheme (one per expected identity
   * set), so pooled mTLS connections are reused exactly by attempts that expect the same identities.
   */
  public static Object markState(HttpClientContext context, String meshScheme) {
    Object own = context.getUserToken();
    if (meshScheme != null) {
      context.setUserToken(meshScheme);
    }
    return own;
  }

  public static void restoreState(HttpClientContext context, String meshScheme, Object own) {
    if (meshScheme != null) {
      context.setUserToken(own);
    }
  }

  /** The authority the attempt's request carries: the application's, or the route's rewrite. */
  public static URIAuthority authority(OutboundCall call, URIAuthority logical) {
    String rewritten = call.rewrittenAuthority();
    if (rewritten == null) {
      return logical;
    }
    try {
      return URIAuthority.create(rewritten);
    } catch (URISyntaxException e) {
      Mesh.failed("apache-httpclient-5", e);
      return logical;
    }
  }

  /** The path the attempt's request carries: the application's, or the route's rewrite. */
  public static String path(OutboundCall call, String path) {
    String rewritten = call.rewrittenPath();
    return rewritten != null ? rewritten : path;
  }

  /**
   * Puts the attempt's deadline into the context's request config as the response timeout when it
   * is shorter than the application's own (which otherwise keeps applying, through Apache), and the
   * route's connect timeout. Returns true when the timeout in force is the mesh's.
   */
  @SuppressWarnings("deprecation")
  public static boolean applyTimeouts(HttpClientContext context, RequestConfig own, Attempt attempt) {
    long meshMillis = attempt.timeoutMillis();
    int connectMillis = attempt.connectTimeoutMillis();
    Timeout ownTimeout = own.getResponseTimeout();
    boolean mesh = meshMillis > 0 && (ownTimeout == null || ownTimeout.isDisabled() || ownTimeout.toMilliseconds() >= meshMillis);
    if (!mesh && connectMillis <= 0) {
      context.setRequestConfig(own);
      return false;
    }
    RequestConfig.Builder b = RequestConfig.copy(own);
    if (mesh) {
      b.setResponseTimeout(meshMillis, TimeUnit.MILLISECONDS);
    }
    if (connectMillis > 0) {
      b.setConnectTimeout(connectMillis, TimeUnit.MILLISECONDS);
    }
    context.setRequestConfig(b.build());
    return mesh;
  }

  /** The request config the application's call runs with (Apache's default when none is set). */
  public static RequestConfig own(HttpClientContext context) {
    RequestConfig c = context.getRequestConfig();
    return c != null ? c : RequestConfig.DEFAULT;
  }

  /** The application's own response timeout in nanos, 0 for none. */
  public static long ownTimeoutNanos(RequestConfig own) {
    Timeout t = own.getResponseTimeout();
    return t == null || t.isDisabled() ? 0 : t.toNanoseconds();
  }

  /** True when the failure is the mesh's deadline firing (a response timeout it set, not a connect timeout). */
  public static boolean timedOutByMesh(boolean meshTimeout, Throwable t) {
    return meshTimeout && t instanceof SocketTimeoutException && !(t instanceof ConnectTimeoutException);
  }

  /** Whether any of the request may have reached the server: not for a failure to connect. */
  public static boolean sent(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof javax.net.ssl.SSLHandshakeException || c instanceof ConnectException || c instanceof ConnectTimeoutException || c instanceof UnknownHostException || c instanceof NoRouteToHostException) {
        return false;
      }
    }
    return true;
  }
}
