package io.inmesh.instrumentation.undertow;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.inmesh.bootstrap.UntouchedLibraries;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Meshes Undertow's server (undertow-core 2.3: {@code Undertow.builder()} applications, and Spring
 * Boot 3.5's Undertow, which builds the same {@code Undertow}).
 *
 * <ul>
 *   <li><b>Registration</b>: once {@code Undertow.start()} returns, each HTTP/HTTPS listener's bound
 *       address ({@code getListenerInfo()}) is registered; {@code Undertow.stop()} deregisters them
 *       before it closes them ({@link UndertowInstrumentation}).
 *   <li><b>Inbound stage</b> through Undertow's own extension point, a handler wrapper:
 *       {@link MeshInboundHandler} wraps the root {@code HttpHandler} of every HTTP and HTTP/2 open
 *       listener as it is set, and the handler behind Undertow's h2c upgrade, so it runs before any
 *       handler of the application, over HTTP/1.1 and h2c alike ({@link OpenListenerInstrumentation},
 *       {@link Http2UpgradeInstrumentation}).
 *   <li><b>PeerAuthentication</b> per connection on the HTTP listeners ({@link MeshConnections}):
 *       under PERMISSIVE or STRICT a TLS ClientHello gets the mesh's mTLS in Undertow's own TLS, the
 *       verified peer reaching authorization and {@code X-Forwarded-Client-Cert}; plain text is
 *       served under PERMISSIVE and closed, never read, under STRICT.
 * </ul>
 *
 * <p>Not supported: AJP listeners (neither registered nor meshed); HTTP/2 over the mesh's mTLS (no
 * ALPN is offered: HTTP/1.1); the application's own HTTPS listeners are registered and authorized
 * but not subject to PeerAuthentication.
 */
public class UndertowInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public UndertowInstrumentationModule() {
    super("inmesh-undertow", "inmesh-undertow-2.3", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /**
   * Undertow 2.x's core server ({@code ListenerInfo} and the open listeners with a settable root
   * handler). 1.4 has those classes too, but not 2.0's {@code io.undertow.util.ObjectPool}: 1.x is
   * left alone and said once ({@link #UNTOUCHED}).
   */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed(
            "io.undertow.Undertow$ListenerInfo", "io.undertow.server.protocol.http.HttpOpenListener", "io.undertow.server.HttpServerExchange",
            "io.undertow.util.ObjectPool")
        .or(UNTOUCHED::leftAlone);
  }

  /** Undertow 1.x (issue 14; io.inmesh.bootstrap.UntouchedLibraries). */
  private static final UntouchedLibraries.Guard UNTOUCHED =
      UntouchedLibraries.guard("Undertow", "io.undertow.Undertow", "io.undertow/undertow-core", "2.0 and later; tested 2.3");

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new UndertowInstrumentation(), new OpenListenerInstrumentation(), new Http2UpgradeInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.undertow.";
    return List.of(
        p + "MeshInboundHandler", p + "MeshInboundHandler$View", p + "MeshInboundHandler$Headers", p + "UndertowListeners",
        p + "MeshConnections", p + "MeshConnections$FirstByte", p + "MeshConnections$Bytes");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
