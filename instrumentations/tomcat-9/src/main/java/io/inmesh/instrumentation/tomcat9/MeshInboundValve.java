package io.inmesh.instrumentation.tomcat9;

import io.inmesh.instrumentation.tomcat.TomcatInbound;
import java.io.IOException;
import javax.servlet.ServletException;
import org.apache.catalina.Globals;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;

/**
 * The inbound stage as a valve first in a Tomcat 9 engine's pipeline: the same stage as Tomcat 10.1's
 * ({@link TomcatInbound}), on the {@code javax.servlet} side. This is the one class of the pair that
 * cannot be shared: a valve's {@code invoke} declares the Servlet API's {@code ServletException}
 * (javax here, jakarta there), Tomcat introspects valves for JMX (a missing exception class would
 * break that), {@code getOutputStream()} returns the line's own {@code ServletOutputStream}, and
 * {@code Globals.CERTIFICATES_ATTR} is {@code javax.servlet.request.X509Certificate} here.
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
