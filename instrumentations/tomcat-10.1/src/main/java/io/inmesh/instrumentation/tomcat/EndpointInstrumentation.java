package io.inmesh.instrumentation.tomcat;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.Mesh;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.tomcat.util.net.AbstractEndpoint;

/**
 * {@code AbstractEndpoint.start()} binds (if not bound at init) and starts accepting: from then on
 * the connector serves, so that is when its address and actual port are registered. Spring Boot
 * starts connectors only once the application context is ready, so the mesh never sends traffic to
 * an application that is still starting.
 */
public class EndpointInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.apache.tomcat.util.net.AbstractEndpoint");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("start").and(takesArguments(0)), EndpointInstrumentation.class.getName() + "$StartAdvice");
    transformer.applyAdviceToMethod(
        named("stop").and(takesArguments(0)), EndpointInstrumentation.class.getName() + "$StopAdvice");
  }

  @SuppressWarnings("unused")
  public static class StartAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.This AbstractEndpoint<?, ?> endpoint) {
      int port = endpoint.getLocalPort();
      if (port > 0) {
        InetAddress address = endpoint.getAddress();
        Mesh.serverStarted(
            "tomcat", address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port));
      }
    }
  }

  @SuppressWarnings("unused")
  public static class StopAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.This AbstractEndpoint<?, ?> endpoint) {
      int port = endpoint.getLocalPort();
      if (port > 0) {
        InetAddress address = endpoint.getAddress();
        Mesh.serverStopped(
            "tomcat", address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port));
      }
    }
  }
}
