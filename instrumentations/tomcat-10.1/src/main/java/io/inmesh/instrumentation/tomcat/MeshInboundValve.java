package io.inmesh.instrumentation.tomcat;

import io.inmesh.bootstrap.InboundRequest;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.Mesh;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;

/**
 * The inbound stage as Tomcat's own extension point: a valve first in the engine's pipeline, so it
 * runs before any host, context, filter or servlet. A request the mesh answers itself
 * (authorization's 403) never reaches the application.
 */
public final class MeshInboundValve extends ValveBase {

  public MeshInboundValve() {
    super(true);
  }

  @Override
  public void invoke(Request request, Response response) throws IOException, ServletException {
    LocalAnswer answer = Mesh.inbound(new View(request));
    try {
      if (answer != null) {
        response.setStatus(answer.status());
        response.setContentType("text/plain");
        response.setHeader("x-inmesh-reason", answer.reason());
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        response.finishResponse();
        return;
      }
      getNext().invoke(request, response);
    } finally {
      Mesh.inboundEnd();
    }
  }

  /** {@link InboundRequest} over Tomcat's request. */
  static final class View implements InboundRequest {
    private final Request request;

    View(Request request) {
      this.request = request;
    }

    @Override
    public String method() {
      return request.getMethod();
    }

    @Override
    public String path() {
      String q = request.getQueryString();
      return q == null ? request.getRequestURI() : request.getRequestURI() + "?" + q;
    }

    @Override
    public String header(String name) {
      return request.getHeader(name);
    }

    @Override
    public InetSocketAddress localAddress() {
      return new InetSocketAddress(request.getLocalAddr(), request.getLocalPort());
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return new InetSocketAddress(request.getRemoteAddr(), request.getRemotePort());
    }

    @Override
    public Certificate[] peerCertificates() {
      Object certs = request.getAttribute("jakarta.servlet.request.X509Certificate");
      return certs instanceof Certificate[] c ? c : null;
    }
  }
}
