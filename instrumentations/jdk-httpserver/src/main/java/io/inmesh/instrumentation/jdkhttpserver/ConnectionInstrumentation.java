package io.inmesh.instrumentation.jdkhttpserver;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.nio.channels.SocketChannel;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code ServerImpl$Exchange.run()} starts every exchange of the JDK server (HTTP and HTTPS, Java 17
 * to 25); on a new connection it is where the server picks the connection's streams. The mesh picks
 * them first when PeerAuthentication asks for mTLS ({@link MtlsConnections}).
 */
public class ConnectionInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("sun.net.httpserver.ServerImpl$Exchange");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(named("run").and(takesArguments(0)), ConnectionInstrumentation.class.getName() + "$RunAdvice");
  }

  @SuppressWarnings("unused")
  public static class RunAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.This Object exchange, @Advice.FieldValue("chan") SocketChannel chan) {
      MtlsConnections.onExchange(exchange, chan);
    }
  }
}
