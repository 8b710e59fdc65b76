package io.inmesh.instrumentation.jdkhttpserver;

import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import com.sun.net.httpserver.HttpServer;
import io.inmesh.bootstrap.Mesh;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.net.InetSocketAddress;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * The JDK's HTTP and HTTPS server implementations: when one starts, the agent learns the address
 * and port it actually bound (port 0 resolved) and registers it as a port of this endpoint; when
 * it stops, the port is withdrawn.
 */
public class HttpServerInstrumentation implements TypeInstrumentation {

  static final String LIBRARY = "jdk-httpserver";

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("sun.net.httpserver.HttpServerImpl").or(named("sun.net.httpserver.HttpsServerImpl"));
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("start").and(takesArguments(0)).and(isPublic()),
        HttpServerInstrumentation.class.getName() + "$StartAdvice");
    transformer.applyAdviceToMethod(
        named("stop").and(takesArguments(1)).and(isPublic()),
        HttpServerInstrumentation.class.getName() + "$StopAdvice");
  }

  @SuppressWarnings("unused")
  public static class StartAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.This HttpServer server) {
      Mesh.serverStarted("jdk-httpserver", server.getAddress());
    }
  }

  @SuppressWarnings("unused")
  public static class StopAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.This HttpServer server) {
      InetSocketAddress bound = server.getAddress();
      Mesh.serverStopped("jdk-httpserver", bound);
    }
  }
}
