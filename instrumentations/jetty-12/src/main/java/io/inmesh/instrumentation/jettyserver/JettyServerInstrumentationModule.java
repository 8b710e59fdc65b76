package io.inmesh.instrumentation.jettyserver;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.inmesh.bootstrap.UntouchedLibraries;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Meshes Jetty 12's server (jetty-core: plain Jetty handlers, every {@code eeN} servlet environment
 * on top of it, Spring Boot's Jetty).
 *
 * <ul>
 *   <li><b>Registration</b>: every network connector ({@code ServerConnector} and the like) is
 *       registered with its bound address and actual port once it has started, and deregistered when
 *       it stops ({@code AbstractNetworkConnector.doStart}/{@code doStop}: Jetty has no listener for
 *       a connector's start that gives its bound port).
 *   <li><b>Inbound stage</b> through Jetty's own extension point: {@link MeshInboundHandler}, a
 *       {@code Handler.Wrapper} inserted first under every {@code Server} as it starts, so it runs
 *       before any context, servlet or application handler.
 *   <li><b>mTLS</b> per PeerAuthentication, in Jetty's own TLS machinery: {@link MeshTlsDetector}
 *       (a {@code DetectorConnectionFactory}) first on every network connector, deciding per
 *       connection (STRICT: mTLS only; PERMISSIVE: mTLS or plain text on one port, told apart by
 *       the first byte; DISABLE: plain text), and {@link MeshTlsConnectionFactory} terminating mTLS
 *       in Jetty's {@code SslConnection} with the mesh's engine; the application then sees the
 *       verified {@code X-Forwarded-Client-Cert} and authorization the peer's principal.
 * </ul>
 *
 * <p>Not supported: connectors the application made TLS itself are left alone (its certificate, not
 * the mesh's); connectors added to a server already running serve no mesh mTLS (under STRICT their
 * plain requests are refused, never served); mesh mTLS connections speak the connector's first
 * protocol (HTTP/1.1 for a default {@code ServerConnector}).
 */
public class JettyServerInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public JettyServerInstrumentationModule() {
    super("inmesh-jetty-server", "inmesh-jetty-12", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** A version the range check below refuses is left alone and said once, at WARN (issue 14; io.inmesh.bootstrap.UntouchedLibraries). */
  private static final UntouchedLibraries.Guard UNTOUCHED =
      UntouchedLibraries.guard("Jetty server", "org.eclipse.jetty.server.Server", "org.eclipse.jetty/jetty-server", "12.x");

  /** Jetty 12's core server ({@code Request} became an interface with {@code Handler.Wrapper} in 12). */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("org.eclipse.jetty.server.Handler$Wrapper", "org.eclipse.jetty.server.Request$Wrapper", "org.eclipse.jetty.server.AbstractNetworkConnector")
        .or(UNTOUCHED::leftAlone);
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new ConnectorInstrumentation(), new ServerInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.jettyserver.";
    return List.of(p + "MeshInboundHandler", p + "MeshInboundHandler$View", p + "MeshInboundHandler$Sanitized", p + "MeshInboundHandler$Sanitized$1",
        p + "MeshInboundHandler$Headers", p + "MeshConnectors", p + "MeshTlsDetector", p + "MeshTlsConnectionFactory", p + "MeshSslConnection");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
