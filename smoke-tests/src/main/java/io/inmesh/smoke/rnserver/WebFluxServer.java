package io.inmesh.smoke.rnserver;

import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Spring WebFlux on Reactor Netty as Spring Boot runs it, without Boot: a functional route turned
 * into an {@code HttpHandler}, served by {@code HttpServer.handle(new ReactorHttpHandlerAdapter(..))}.
 * Every path answers {@code webflux=true}, the path and the {@code X-Forwarded-Client-Cert} it saw.
 */
final class WebFluxServer {
  private WebFluxServer() {}

  static DisposableServer start(String address, int port) {
    HttpHandler handler = RouterFunctions.toHttpHandler(RouterFunctions.route(RequestPredicates.all(), request -> {
      String xfcc = request.headers().firstHeader("x-forwarded-client-cert");
      return ServerResponse.ok().contentType(MediaType.TEXT_PLAIN)
          .bodyValue("webflux=true\npath=" + request.path() + "\nxfcc=" + (xfcc == null ? "" : xfcc) + "\n");
    }));
    return HttpServer.create().host(address).port(port).handle(new ReactorHttpHandlerAdapter(handler)).bindNow();
  }
}
