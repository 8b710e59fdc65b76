package io.inmesh.smoke.apps.jetty;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A plain Jetty 12 server (no inmesh code): one {@code ServerConnector}, one handler that answers
 * JSON naming the listener, the path, the Host header, the {@code X-Forwarded-Client-Cert} it saw
 * (empty when none; its double quotes as single ones), the request's scheme and whether Jetty calls
 * it secure.
 *
 * <p>Usage: {@code JettyServerApp <address> <port>}.
 */
public final class JettyServerApp {
  private JettyServerApp() {}

  public static void main(String[] args) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost(args[0]);
    connector.setPort(Integer.parseInt(args[1]));
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        String xfcc = request.getHeaders().get("x-forwarded-client-cert");
        String json = "{\"listener\":\"" + Request.getLocalAddr(request) + ":" + Request.getLocalPort(request)
            + "\",\"path\":\"" + request.getHttpURI().getPathQuery() + "\",\"host\":\"" + request.getHeaders().get("host")
            + "\",\"xfcc\":\"" + (xfcc == null ? "" : xfcc.replace("\"", "'"))
            + "\",\"scheme\":\"" + request.getHttpURI().getScheme() + "\",\"secure\":\"" + request.isSecure() + "\"}";
        response.setStatus(200);
        response.getHeaders().put("content-type", "application/json");
        response.write(true, ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), callback);
        return true;
      }
    });
    server.start();
    System.out.println("jetty server listening on " + args[0] + ":" + connector.getLocalPort());
    server.join();
  }
}
