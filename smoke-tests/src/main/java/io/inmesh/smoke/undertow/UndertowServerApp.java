package io.inmesh.smoke.undertow;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.net.InetSocketAddress;

/**
 * A plain Undertow application (no inmesh code), built as {@code Undertow.builder()} users build one:
 * a server with two HTTP listeners (the second with a root handler of its own) and HTTP/2 enabled (h2c
 * upgrade, as Spring Boot's {@code server.http2.enabled} sets it), and a second server
 * with one listener that the application stops when asked ({@code GET /stop-extra}), while it keeps
 * running. Its handler dispatches to a worker thread, as blocking handlers do, prints
 * {@code handled <path>} for every request it serves and answers JSON naming the handler, the protocol, the listener, the path,
 * the Host header and the {@code X-Forwarded-Client-Cert} it saw (empty when none).
 *
 * <p>Usage: {@code UndertowServerApp <address> <port> <second port> <extra server's port>}.
 */
public final class UndertowServerApp {
  private UndertowServerApp() {}

  static volatile Undertow extra;

  public static void main(String[] args) {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int second = Integer.parseInt(args[2]);
    int extraPort = Integer.parseInt(args[3]);
    Undertow server = Undertow.builder()
        .addHttpListener(port, host)
        .addHttpListener(second, host, new Echo("second"))
        .setHandler(new Echo("main"))
        .setServerOption(UndertowOptions.ENABLE_HTTP2, true) // as Spring Boot's server.http2.enabled: h2c upgrade on HTTP listeners
        .build();
    server.start();
    extra = Undertow.builder().addHttpListener(extraPort, host).setHandler(new Echo("extra")).build();
    extra.start();
    StringBuilder bound = new StringBuilder();
    for (Undertow.ListenerInfo l : server.getListenerInfo()) {
      bound.append(' ').append(((InetSocketAddress) l.getAddress()).getPort());
    }
    System.out.println("undertow server listening on " + host + ":" + bound + " and " + host + ":" + extraPort);
  }

  static final class Echo implements HttpHandler {
    private final String name;

    Echo(String name) {
      this.name = name;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
      if (exchange.isInIoThread()) {
        exchange.dispatch(this);
        return;
      }
      String path = exchange.getRequestURI() + (exchange.getQueryString().isEmpty() ? "" : "?" + exchange.getQueryString());
      System.out.println("handled " + path);
      if (path.equals("/stop-extra") && extra != null) {
        // once this answer is sent, and not on this server's own worker thread: stop() waits for its worker to finish
        Undertow e = extra;
        extra = null;
        exchange.addExchangeCompleteListener((done, next) -> {
          next.proceed();
          new Thread(() -> {
            e.stop();
            System.out.println("extra server stopped");
          }, "stop-extra").start();
        });
      }
      String xfcc = exchange.getRequestHeaders().getFirst("x-forwarded-client-cert");
      InetSocketAddress local = (InetSocketAddress) exchange.getConnection().getLocalAddress();
      String json = "{\"handler\":\"" + name + "\",\"protocol\":\"" + exchange.getProtocol() + "\",\"listener\":\"" + local.getAddress().getHostAddress() + ":" + local.getPort()
          + "\",\"path\":\"" + path + "\",\"host\":\"" + exchange.getRequestHeaders().getFirst("host")
          + "\",\"xfcc\":\"" + (xfcc == null ? "" : xfcc.replace("\"", "'")) + "\"}";
      exchange.setStatusCode(200);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
      exchange.getResponseSender().send(json);
    }
  }
}
