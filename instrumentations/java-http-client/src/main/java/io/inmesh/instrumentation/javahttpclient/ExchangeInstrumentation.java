package io.inmesh.instrumentation.javahttpclient;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.time.Duration;
import java.util.Optional;
import jdk.internal.net.http.HttpRequestImpl;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code jdk.internal.net.http.Exchange.remainingConnectTimeout()} — what the client's connection
 * arms its connect timer with (the client-wide {@code connectTimeout}, Java 17 and 25 alike): the
 * route's {@code connectionPool.tcp.connectTimeout} applies per attempt when it is shorter. The
 * client has no per-request connect timeout, hence this internal hook.
 */
public class ExchangeInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("jdk.internal.net.http.Exchange");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("remainingConnectTimeout").and(takesArguments(0)), ExchangeInstrumentation.class.getName() + "$ConnectTimeoutAdvice");
  }

  @SuppressWarnings("unused")
  public static class ConnectTimeoutAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned
    public static Optional<Duration> onExit(@Advice.FieldValue("request") HttpRequestImpl request, @Advice.Return Optional<Duration> timeout) {
      return JdkConnections.connectTimeout(request, timeout);
    }
  }
}
