package io.inmesh.instrumentation.tomcat;

import jakarta.servlet.ServletException;
import java.io.IOException;
import org.apache.catalina.Globals;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;

/**
 * The inbound stage as Tomcat's own extension point: a valve first in the engine's pipeline, so it
 * runs before any host, context, filter or servlet. A request the mesh answers itself
 * (authorization's 403) never reaches the application. The stage is {@link TomcatInbound}; this class
 * is its {@code jakarta.servlet} side (Tomcat 10.1 and 11); the tomcat-9 module has the
 * {@code javax.servlet} one.
 */
public final class MeshInboundValve extends ValveBase {

  public MeshInboundValve() {
    super(true);
  }

  @Override
  public void invoke(Request request, Response response) throws IOException, ServletException {
    TomcatInbound stage = TomcatInbound.of(request, Globals.CERTIFICATES_ATTR);
    int next = stage.enter(response);
    if (next == TomcatInbound.REFUSED) {
      return;
    }
    try {
      if (next == TomcatInbound.ANSWER) {
        stage.answer(response, response.getOutputStream());
        return;
      }
      getNext().invoke(request, response);
    } finally {
      TomcatInbound.exit(response);
    }
  }
}
