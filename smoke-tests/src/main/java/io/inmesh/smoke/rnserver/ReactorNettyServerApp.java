package io.inmesh.smoke.rnserver;

import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A bare Reactor Netty {@code HttpServer} application (no inmesh code): two servers made with
 * {@code HttpServer.create().route(..)} and {@code bindNow()}, the main one on {@code <port>}, a
 * second on {@code <second-port>}. Every path answers {@code key=value} lines: the listener it came
 * on, the path, the {@code X-Forwarded-Client-Cert} it saw (empty when none) and how many requests
 * the application's handler has run ({@code handled=}); {@code /count} answers that count alone
 * (without counting itself), {@code /dispose-second} disposes the second server.
 *
 * <p>Usage: {@code ReactorNettyServerApp <address> <port> <second-port>}.
 */
public final class ReactorNettyServerApp {
  static final AtomicLong HANDLED = new AtomicLong();
  static final AtomicReference<DisposableServer> SECOND = new AtomicReference<>();

  private ReactorNettyServerApp() {}

  public static void main(String[] args) {
    String address = args[0];
    DisposableServer main = HttpServer.create().host(address).port(Integer.parseInt(args[1]))
        .route(routes -> routes
            .get("/count", (req, res) -> res.sendString(Mono.just("handled=" + HANDLED.get() + "\n")))
            .get("/dispose-second", (req, res) -> {
              DisposableServer second = SECOND.get();
              second.dispose(); // not disposeNow(): this runs on an event loop, which must not block
              return res.sendString(Mono.just("disposed=" + second.port() + "\n"));
            })
            .route(req -> true, ReactorNettyServerApp::echo))
        .bindNow();
    DisposableServer second = HttpServer.create().host(address).port(Integer.parseInt(args[2]))
        .handle(ReactorNettyServerApp::echo)
        .bindNow();
    SECOND.set(second);
    String version = HttpServer.class.getPackage().getImplementationVersion();
    System.out.println("reactor netty server " + version + " listening on " + main.host() + ":" + main.port() + " and " + second.port());
    main.onDispose().block();
  }

  static Mono<Void> echo(HttpServerRequest req, HttpServerResponse res) {
    long n = HANDLED.incrementAndGet();
    AtomicReference<SocketAddress> local = new AtomicReference<>();
    req.withConnection(c -> local.set(c.channel().localAddress()));
    String xfcc = req.requestHeaders().get("x-forwarded-client-cert");
    String listener = local.get() == null ? "" : local.get().toString().replaceFirst("^[^/]*/", "");
    String body = "listener=" + listener + "\npath=" + req.uri() + "\nxfcc=" + (xfcc == null ? "" : xfcc) + "\nhandled=" + n + "\n";
    return res.header("content-type", "text/plain").sendString(Mono.just(body)).then();
  }
}
