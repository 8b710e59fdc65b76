package io.inmesh.instrumentation.jettyserver;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.Mesh;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.net.InetSocketAddress;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.eclipse.jetty.server.AbstractNetworkConnector;

/**
 * {@code AbstractNetworkConnector.doStart()} opens (binds) the connector and starts accepting: from
 * then on it serves, so that is when its address and actual port are registered; {@code doStop()}
 * deregisters it before it closes.
 */
public class ConnectorInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.eclipse.jetty.server.AbstractNetworkConnector");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(named("doStart").and(takesArguments(0)), ConnectorInstrumentation.class.getName() + "$StartAdvice");
    transformer.applyAdviceToMethod(named("doStop").and(takesArguments(0)), ConnectorInstrumentation.class.getName() + "$StopAdvice");
  }

  @SuppressWarnings("unused")
  public static class StartAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.This AbstractNetworkConnector connector) {
      int port = connector.getLocalPort();
      if (port > 0) {
        String host = connector.getHost();
        Mesh.serverStarted("jetty", host == null || host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port));
      }
    }
  }

  @SuppressWarnings("unused")
  public static class StopAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.This AbstractNetworkConnector connector) {
      int port = connector.getLocalPort();
      if (port > 0) {
        String host = connector.getHost();
        Mesh.serverStopped("jetty", host == null || host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port));
      }
    }
  }
}
