package io.inmesh.instrumentation.javahttpclient;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code HttpClientImpl.sendAsync(request, handler, pushPromiseHandler, executor)} is where every
 * call of the JDK client starts, on Java 17 and 25: {@code send} calls it with no executor and waits,
 * {@code sendAsync} with the client's. A mesh call is taken over here by {@link JdkMeshCall}, which
 * runs its attempts through the same client.
 */
public class HttpClientImplInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("jdk.internal.net.http.HttpClientImpl");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("sendAsync").and(takesArguments(4)).and(takesArgument(3, Executor.class)),
        HttpClientImplInstrumentation.class.getName() + "$SendAdvice");
  }

  @SuppressWarnings("unused")
  public static class SendAdvice {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static CompletableFuture<?> onEnter(
        @Advice.This HttpClient client,
        @Advice.Argument(0) HttpRequest request,
        @Advice.Argument(1) HttpResponse.BodyHandler<Object> handler,
        @Advice.Argument(2) HttpResponse.PushPromiseHandler<Object> push,
        @Advice.Argument(3) Executor executor) {
      return JdkMeshCall.start(client, request, handler, push, executor);
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned
    public static CompletableFuture<?> onExit(@Advice.Enter CompletableFuture<?> taken, @Advice.Return CompletableFuture<?> result) {
      return taken != null ? taken : result;
    }
  }
}
