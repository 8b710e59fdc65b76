package io.inmesh.instrumentation.reactornettyserver;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.inmesh.bootstrap.UntouchedLibraries;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Meshes Reactor Netty's {@code HttpServer} (reactor-netty-http 1.2.x, as Spring Boot 3.5 manages
 * it, and 1.3.x for Boot 4), bare and under Spring WebFlux.
 *
 * <ul>
 *   <li><b>Registration</b>: every bound server (a {@code DisposableServer} from {@code bind()} /
 *       {@code bindNow()}) is registered with its bound address and actual port when its channel is
 *       bound, and deregistered on {@code dispose()} (and whenever its channel closes)
 *       ({@link BindInstrumentation}).
 *   <li><b>Inbound stage</b> around Reactor Netty's own extension point, the server's handler:
 *       {@code HttpServer.handle(BiFunction)} (which {@code route(..)} and WebFlux's
 *       {@code ReactorHttpHandlerAdapter} go through) gets {@link MeshInboundHandler} wrapped around
 *       the application's function ({@link HandleInstrumentation}). It runs synchronously on the event
 *       loop and never blocks; a local answer (403 {@code RBAC: access denied}) is written as a
 *       Reactor Netty response and the application's function is never applied.
 *   <li><b>mTLS</b> (PeerAuthentication) in the connection's own Netty pipeline: a handler first in
 *       each accepted channel's pipeline ({@link MeshTlsDecoder}, added where Reactor Netty's
 *       {@code HttpServerConfig} configures the channel, {@link ChannelInitInstrumentation}) looks at
 *       the first byte and puts Netty's {@code SslHandler} with the mesh's engine in its place, serves
 *       plain text (PERMISSIVE), or closes the connection (STRICT).
 * </ul>
 *
 * <p>Not covered: HTTP/3 (QUIC) servers and Unix domain sockets are not registered nor given mesh
 * mTLS; a server the application made TLS itself ({@code secure(..)}) is left alone; mesh mTLS
 * connections are HTTP/1.1 (no ALPN), as the mesh's clients send them.
 */
public class ReactorNettyServerInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public ReactorNettyServerInstrumentationModule() {
    super("inmesh-reactor-netty-server", "inmesh-reactor-netty", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** A version the range check below refuses is left alone and said once, at WARN (issue 14; io.inmesh.bootstrap.UntouchedLibraries). */
  private static final UntouchedLibraries.Guard UNTOUCHED =
      UntouchedLibraries.guard("Reactor Netty HttpServer", "reactor.netty.http.server.HttpServer", "io.projectreactor.netty/reactor-netty-http", "1.2.x and 1.3.x");

  /**
   * The version range, guarded here as muzzle would: the server's handler class, and
   * {@code Http3SettingsSpec}, which 1.2.0 is the first to ship; Netty's {@code SslHandler} and
   * {@code ByteToMessageDecoder} for the mTLS handler. Older lines are left alone.
   */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed(
        "reactor.netty.http.server.HttpServer",
        "reactor.netty.http.server.HttpServerConfig",
        "reactor.netty.http.Http3SettingsSpec",
        "reactor.netty.transport.ServerTransport",
        "io.netty.handler.ssl.SslHandler",
        "io.netty.handler.codec.ByteToMessageDecoder",
        "reactor.core.publisher.Mono")
        .or(UNTOUCHED::leftAlone);
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new BindInstrumentation(), new HandleInstrumentation(), new ChannelInitInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.reactornettyserver.";
    return List.of(
        p + "ServerListeners",
        p + "ServerListeners$Deregister",
        p + "MeshInboundHandler",
        p + "MeshInboundHandler$View",
        p + "MeshInboundHandler$Headers",
        p + "MeshTlsDecoder");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
