package io.inmesh.instrumentation.apachehttpclient5;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.hc.core5.http.io.HttpClientConnection;
import org.apache.hc.core5.http.protocol.HttpContext;

/** {@link MeshTlsGuard} before {@code HttpRequestExecutor.execute} writes a request on a connection. */
public class RequestExecutorGuardInstrumentation implements TypeInstrumentation {
  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.apache.hc.core5.http.impl.io.HttpRequestExecutor");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(named("execute").and(takesArguments(4)), RequestExecutorGuardInstrumentation.class.getName() + "$GuardAdvice");
  }

  @SuppressWarnings("unused")
  public static class GuardAdvice {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static Throwable onEnter(@Advice.Argument(1) HttpClientConnection connection, @Advice.Argument(3) HttpContext context) {
      return MeshTlsGuard.refusal(connection, context);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    @Advice.AssignReturned.ToThrown
    @Advice.AssignReturned.AsScalar(skipOnDefaultValue = false) // null keeps what the method did
    public static Throwable onExit(@Advice.Enter Throwable refused, @Advice.Thrown Throwable thrown) {
      return refused != null ? refused : thrown;
    }
  }
}
