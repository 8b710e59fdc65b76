package io.inmesh.instrumentation.tomcat;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code NioEndpoint.Poller.register(NioSocketWrapper)}: every new connection of the NIO connector
 * (Spring Boot's default) passes here once it is set up and before anything reads from it; the mesh
 * chooses its channel there when PeerAuthentication asks for mTLS ({@link MtlsConnections}).
 */
public class ConnectionInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.apache.tomcat.util.net.NioEndpoint$Poller");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("register").and(takesArguments(1)), ConnectionInstrumentation.class.getName() + "$RegisterAdvice");
  }

  @SuppressWarnings("unused")
  public static class RegisterAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.Argument(0) Object socketWrapper) {
      MtlsConnections.onRegister(socketWrapper);
    }
  }
}
