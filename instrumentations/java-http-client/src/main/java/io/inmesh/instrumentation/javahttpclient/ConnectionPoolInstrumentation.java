package io.inmesh.instrumentation.javahttpclient;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code jdk.internal.net.http.ConnectionPool}, the client's HTTP/1.1 keep-alive pool:
 * {@code returnToPool(conn, now, keepAliveSeconds)} (an {@code Instant} on Java 17, a
 * {@code Deadline} on Java 25, hence matched by name and arity) and
 * {@code getConnection(secure, addr, proxy)}. See {@link JdkConnections}.
 */
public class ConnectionPoolInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("jdk.internal.net.http.ConnectionPool");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    String prefix = ConnectionPoolInstrumentation.class.getName();
    transformer.applyAdviceToMethod(
        named("returnToPool").and(takesArguments(3)).and(takesArgument(2, long.class)), prefix + "$ReturnAdvice");
    transformer.applyAdviceToMethod(
        named("getConnection").and(takesArguments(3)).and(takesArgument(0, boolean.class)), prefix + "$GetAdvice");
  }

  @SuppressWarnings("unused")
  public static class ReturnAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(2))
    public static long onEnter(@Advice.Argument(value = 0, typing = Assigner.Typing.DYNAMIC) Object connection, @Advice.Argument(2) long keepAlive) {
      return JdkConnections.returning(connection, keepAlive);
    }
  }

  @SuppressWarnings("unused")
  public static class GetAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned(typing = Assigner.Typing.DYNAMIC)
    @Advice.AssignReturned.AsScalar(skipOnDefaultValue = false) // null: the pool had none, the client opens one
    public static Object onExit(@Advice.Return(typing = Assigner.Typing.DYNAMIC) Object connection) {
      return JdkConnections.pooled(connection);
    }
  }
}
