package io.inmesh.instrumentation.javahttpclient;

import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import jdk.internal.net.http.HttpRequestImpl;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code jdk.internal.net.http.HttpConnection} (the same methods on Java 17 and 25): where an
 * exchange obtains its HTTP/1.1 connection, and where the client keeps it alive or closes it after
 * a response. See {@link JdkConnections} for why the adapter hooks these internals: the client
 * has no per-destination setting for connection reuse.
 */
public class HttpConnectionInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("jdk.internal.net.http.HttpConnection");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    String prefix = HttpConnectionInstrumentation.class.getName();
    transformer.applyAdviceToMethod(
        named("getConnection").and(isStatic()).and(takesArguments(4)).and(takesArgument(2, named("jdk.internal.net.http.HttpRequestImpl"))),
        prefix + "$GetConnectionAdvice");
    transformer.applyAdviceToMethod(
        named("closeOrReturnToCache").and(takesArguments(1)).and(takesArgument(0, named("java.net.http.HttpHeaders"))),
        prefix + "$CloseOrReturnAdvice");
  }

  @SuppressWarnings("unused")
  public static class GetConnectionAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(
        @Advice.Argument(2) HttpRequestImpl request, @Advice.Return Object connection) {
      JdkConnections.obtained(connection, request);
    }
  }

  @SuppressWarnings("unused")
  public static class CloseOrReturnAdvice {
    /** Skips the method after closing the connection, as the method itself would for a response without keep-alive. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static boolean onEnter(@Advice.This Object connection, @Advice.Argument(0) Object headers) {
      return JdkConnections.closeInsteadOfKeepingAlive(connection, headers);
    }
  }
}
