package io.inmesh.instrumentation.tomcat9;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;
import static net.bytebuddy.matcher.ElementMatchers.not;

import io.inmesh.instrumentation.tomcat.ConnectionInstrumentation;
import io.inmesh.instrumentation.tomcat.EndpointInstrumentation;
import io.inmesh.instrumentation.tomcat.InboundInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Meshes embedded Tomcat 9 ({@code javax.servlet}; Spring Boot 2.7's): the tomcat-10.1 module's
 * hooks, which Tomcat 9.0 matches member for member (connector start/stop → registration, a
 * connection's registration with the NIO poller → mTLS per connection in Tomcat's own
 * {@code SecureNioChannel}, the coyote response's commit → the mesh's response headers), its
 * servlet-free inbound stage ({@code TomcatInbound}) and its channel ({@code MeshNioChannel}); only
 * the valve, whose signature names the Servlet API, is this module's ({@link MeshInboundValve}), and
 * so the engine hook that adds it. As in 10.1, the NIO2 and APR/OpenSSL connectors are not given mTLS.
 */
public class Tomcat9InstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public Tomcat9InstrumentationModule() {
    // "inmesh-tomcat" also names the 10.1 module: one switch turns off every Tomcat line
    super("inmesh-tomcat-9", "inmesh-tomcat", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /**
   * Without muzzle (a Gradle plugin), the range is guarded here: Tomcat's endpoint class plus Servlet
   * 4.0's {@code PushBuilder}, which Tomcat 9 is the first to ship (8.5 had its own preview
   * package), and never where the 10.1 module applies (Servlet 6's {@code ServletConnection}), so
   * that an application carrying both Servlet APIs gets one valve, not two.
   */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("org.apache.tomcat.util.net.AbstractEndpoint", "javax.servlet.http.PushBuilder")
        .and(not(hasClassesNamed("jakarta.servlet.ServletConnection")));
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(
        new EndpointInstrumentation(),
        new EngineInstrumentation(),
        new InboundInstrumentation.CommitInstrumentation(),
        new ConnectionInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String shared = "io.inmesh.instrumentation.tomcat.";
    return List.of(
        shared + "TomcatInbound",
        shared + "TomcatInbound$View",
        "io.inmesh.instrumentation.tomcat9.MeshInboundValve",
        shared + "InboundInstrumentation$ResponseHeaders",
        shared + "MtlsConnections",
        shared + "MeshNioChannel");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
