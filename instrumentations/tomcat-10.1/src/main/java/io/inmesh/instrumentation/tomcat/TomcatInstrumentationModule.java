package io.inmesh.instrumentation.tomcat;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.inmesh.bootstrap.UntouchedLibraries;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Meshes embedded Tomcat 10.1 and 11 (Spring Boot 3 and 4 MVC, also inside a Boot fat jar; Tomcat 11
 * has the same classes and members these hooks use): registration of
 * every connector's bound address and port, the inbound stage (a valve), and PeerAuthentication on
 * the NIO connector (Boot's default): mTLS terminated in Tomcat's own connection handling, per
 * connection ({@link MeshNioChannel}, chosen in {@link MtlsConnections}). The NIO2 and APR/OpenSSL
 * connectors are not given mTLS: on them plain text is accepted whatever the mode.
 */
public class TomcatInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public TomcatInstrumentationModule() {
    super("inmesh-tomcat", "inmesh-tomcat-10.1", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /**
   * Muzzle's build-time checks are a Gradle plugin we cannot use, so the version range is guarded
   * here: Tomcat's endpoint class plus Servlet 6.0's ServletConnection, which Tomcat 10.1 is the
   * first to ship (Tomcat 11, Servlet 6.1, has it too). Tomcat 9 ({@code javax.servlet}) is the
   * tomcat-9 module's, which shares this module's hooks and channel. A Tomcat neither module takes
   * (8.5: Servlet 3.1, no {@code javax.servlet.http.PushBuilder}; 10.0: Servlet 5.0, no
   * ServletConnection) is left alone and said once, here for both modules ({@link #UNTOUCHED}).
   */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("org.apache.tomcat.util.net.AbstractEndpoint", "jakarta.servlet.ServletConnection")
        .or(UNTOUCHED::leftAlone);
  }

  /**
   * Tomcat 8.5 and 10.0 (issue 14; io.inmesh.bootstrap.UntouchedLibraries): silent where Servlet
   * 4.0's {@code javax.servlet.http.PushBuilder} is, which is Tomcat 9, the tomcat-9 module's.
   */
  private static final UntouchedLibraries.Guard UNTOUCHED =
      UntouchedLibraries.guard("Apache Tomcat", "org.apache.tomcat.util.net.AbstractEndpoint", "org.apache.tomcat.embed/tomcat-embed-core", "9.0, 10.1 and 11")
          .unlessPresent("javax.servlet.http.PushBuilder");

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(
        new EndpointInstrumentation(),
        new InboundInstrumentation(),
        new InboundInstrumentation.CommitInstrumentation(),
        new ConnectionInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    String p = "io.inmesh.instrumentation.tomcat.";
    return List.of(
        p + "TomcatInbound",
        p + "TomcatInbound$View",
        p + "MeshInboundValve",
        p + "InboundInstrumentation$ResponseHeaders",
        p + "MtlsConnections",
        p + "MeshNioChannel");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
