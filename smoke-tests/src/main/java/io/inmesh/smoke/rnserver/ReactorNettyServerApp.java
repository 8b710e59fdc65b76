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
 * <p>With {@code -Drnserver.blockhound=true} and BlockHound on the class path, BlockHound is installed
 * first ({@link Hound}): every blocking call on a Reactor or Netty event-loop thread is printed as a
 * line starting {@value Hound#BLOCKED}, and {@value Hound#LIVE} says it is live.
 *
 * <p>With a fourth argument, a Spring WebFlux server ({@link WebFluxServer}) listens there too.
 *
 * <p>Usage: {@code ReactorNettyServerApp <address> <port> <second-port> [<webflux-port>]}.
 */
public final class ReactorNettyServerApp {
  static final AtomicLong HANDLED = new AtomicLong();
  static final AtomicReference<DisposableServer> SECOND = new AtomicReference<>();

  private ReactorNettyServerApp() {}

  public static void main(String[] args) {
    if (Boolean.getBoolean("rnserver.blockhound")) {
      Hound.install();
    }
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
    if (args.length > 3) {
      DisposableServer webflux = WebFluxServer.start(address, Integer.parseInt(args[3]));
      System.out.println("webflux " + org.springframework.core.SpringVersion.getVersion() + " listening on " + webflux.port());
    }
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

  /** BlockHound, reporting (not failing) blocking calls on non-blocking threads. */
  static final class Hound {
    static final String BLOCKED = "[blockhound] blocking call on a non-blocking thread:";
    static final String LIVE = "[blockhound] installed; a probe sleep on a parallel thread was caught";
    static final java.util.Queue<String> REPORTS = new java.util.concurrent.ConcurrentLinkedQueue<>();
    static final AtomicLong CAUGHT = new AtomicLong();
    static volatile boolean probing;

    static void install() {
      // class loading reads jars (and lets attached agents transform): allowed, as BlockHound's
      // documentation advises; the OpenTelemetry agent reads its version files once, on first use
      reactor.blockhound.BlockHound.install(builder -> builder
          .allowBlockingCallsInside("java.lang.ClassLoader", "loadClass")
          .allowBlockingCallsInside("java.lang.Class", "forName")
          .allowBlockingCallsInside("net.bytebuddy.agent.builder.AgentBuilder$Default$ExecutingTransformer", "transform")
          .allowBlockingCallsInside("io.netty.util.internal.NativeLibraryLoader", "load")
          .allowBlockingCallsInside("java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue", "remove")
          .allowBlockingCallsInside("io.opentelemetry.javaagent.shaded.instrumentation.api.internal.EmbeddedInstrumentationProperties", "findVersion")
          // Netty's one-time static initialisation of its TLS utilities, on the first SslHandler in
          // the JVM (it probes the JDK's TLS 1.3 support with an SSLContext, seeded from
          // /dev/urandom): class initialisation, like the class loading allowed above
          .allowBlockingCallsInside("io.netty.handler.ssl.SslUtils", "<clinit>")
          .blockingMethodCallback(m -> {
            if (probing) {
              CAUGHT.incrementAndGet();
              return;
            }
            StringBuilder where = new StringBuilder();
            for (StackTraceElement e : new Exception().getStackTrace()) {
              where.append("\n    at ").append(e);
            }
            // printed by a plain thread: writing to stdout here would itself block this thread
            REPORTS.add(BLOCKED + " " + m + " on " + Thread.currentThread().getName() + where);
          }));
      Thread printer = new Thread(() -> {
        for (;;) {
          String r;
          while ((r = REPORTS.poll()) != null) {
            System.out.println(r);
          }
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "blockhound-reports");
      printer.setDaemon(true);
      printer.start();
      probing = true;
      Mono.fromCallable(() -> {
            Thread.sleep(1);
            return 1;
          })
          .subscribeOn(reactor.core.scheduler.Schedulers.parallel())
          .block(java.time.Duration.ofSeconds(30));
      probing = false;
      if (CAUGHT.get() > 0) {
        System.out.println(LIVE);
      }
    }
  }
}
