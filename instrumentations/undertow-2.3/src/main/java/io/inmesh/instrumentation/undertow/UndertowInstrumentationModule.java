package io.inmesh.instrumentation.undertow;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

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
 *       listener as it is set, so it runs before any handler of the application
 *       ({@link OpenListenerInstrumentation}).
 *   <li><b>PeerAuthentication STRICT fails closed</b>: a plain-text connection on a port that
 *       requires mTLS is closed as the open listener receives it, before anything is read.
 * </ul>
 *
 * <p>Not supported yet: terminating mesh mTLS on Undertow's listeners; AJP listeners are neither
 * registered nor meshed.
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

  /** Undertow 2.x's core server ({@code ListenerInfo} and the open listeners with a settable root handler). */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("io.undertow.Undertow$ListenerInfo", "io.undertow.server.protocol.http.HttpOpenListener", "io.undertow.server.HttpServerExchange");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new UndertowInstrumentation(), new OpenListenerInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.undertow.";
    return List.of(p + "MeshInboundHandler", p + "MeshInboundHandler$View", p + "MeshInboundHandler$Headers", p + "UndertowListeners");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
