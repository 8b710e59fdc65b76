package io.inmesh.instrumentation.apachehttpclient4;

import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.bootstrap.OutboundRequest;
import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import org.apache.http.Header;
import org.apache.http.HttpException;
import org.apache.http.HttpHost;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpExecutionAware;
import org.apache.http.client.methods.HttpRequestWrapper;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.conn.routing.HttpRoute;
import org.apache.http.impl.execchain.ClientExecChain;

/**
 * The mesh's element of a 4.5 client's exec chain: the element {@code RedirectExec} delegates to
 * (so below the redirect element, each hop a call of its own, and above Apache's retry elements,
 * whose handler and strategy let mesh attempts through: see {@link RetryGates}). It takes one
 * decision per call and runs the attempts ({@link Mesh4Call}); a host that is not a mesh service,
 * a proxied route, or an error inside inmesh goes down the chain untouched.
 */
public final class Mesh4ExecChain implements ClientExecChain {
  /** Context attribute set while a mesh attempt runs down the chain. */
  public static final String ATTEMPT_ATTRIBUTE = "io.inmesh.attempt";

  private final ClientExecChain next;

  public Mesh4ExecChain(ClientExecChain next) {
    this.next = next;
  }

  /** Wraps the element below the redirect element, once. */
  public static ClientExecChain wrap(ClientExecChain next) {
    if (next == null || next instanceof Mesh4ExecChain) {
      return next;
    }
    return new Mesh4ExecChain(next);
  }

  @Override
  public CloseableHttpResponse execute(HttpRoute route, HttpRequestWrapper request, HttpClientContext context, HttpExecutionAware execAware)
      throws IOException, HttpException {
    OutboundCall call = null;
    View view = null;
    try {
      if (context.getAttribute(ATTEMPT_ATTRIBUTE) == null && route.getProxyHost() == null) {
        view = new View(request, route);
        if ("http".equalsIgnoreCase(view.scheme()) && view.host() != null && !"CONNECT".equals(view.method())) {
          call = Mesh.outboundWaiting(view);
        }
      }
    } catch (Throwable t) {
      Mesh.failed("apache-httpclient-4.5", t);
      call = null;
    }
    if (call == null) {
      if (context.getAttribute(ATTEMPT_ATTRIBUTE) == null && !"CONNECT".equalsIgnoreCase(request.getRequestLine().getMethod())) {
        // a call that passes through: the trace context of the request served on this thread (mesh profile only)
        Mesh4Call.Headers h = new Mesh4Call.Headers(request);
        Mesh.propagate(h, h);
      }
      return next.execute(route, request, context, execAware);
    }
    return new Mesh4Call(next, route, request, view, context, execAware, call).run();
  }

  /** {@link OutboundRequest} over the request wrapper as it enters the chain. */
  static final class View implements OutboundRequest {
    private final HttpRequestWrapper request;
    private final URI uri;
    private final String scheme;
    private final String host;
    private final int port;

    View(HttpRequestWrapper request, HttpRoute route) {
      this.request = request;
      this.uri = request.getURI();
      HttpHost target = request.getTarget() != null ? request.getTarget() : route.getTargetHost();
      if (uri != null && uri.isAbsolute() && uri.getHost() != null) {
        scheme = uri.getScheme();
        host = uri.getHost();
        port = uri.getPort();
      } else {
        scheme = target == null ? "http" : target.getSchemeName();
        host = target == null ? null : target.getHostName();
        port = target == null ? -1 : target.getPort();
      }
    }

    URI uri() {
      return uri;
    }

    @Override
    public String method() {
      return request.getMethod().toUpperCase(Locale.ROOT);
    }

    @Override
    public String scheme() {
      return scheme;
    }

    @Override
    public String host() {
      return host;
    }

    @Override
    public int port() {
      return port;
    }

    @Override
    public String path() {
      if (uri == null) {
        return "/";
      }
      String p = uri.getRawPath();
      if (p == null || p.isEmpty()) {
        p = "/";
      }
      return uri.getRawQuery() == null ? p : p + "?" + uri.getRawQuery();
    }

    @Override
    public String header(String name) {
      Header h = request.getFirstHeader(name);
      return h == null ? null : h.getValue();
    }
  }
}
