package io.inmesh.instrumentation.jettyclient;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.transport.HttpRequest;

/**
 * {@code HttpRequest.send(Response.CompleteListener)}: every send of Jetty 12's client passes here
 * (the blocking {@code send()} too); a call to a mesh name is taken over by {@link JettyMeshCall}
 * and Jetty's own send is skipped. {@code abort(Throwable)}: the application's abort reaches the
 * attempt in flight.
 */
public class HttpRequestInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.eclipse.jetty.client.transport.HttpRequest");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("send").and(takesArguments(1)).and(takesArgument(0, named("org.eclipse.jetty.client.Response$CompleteListener"))),
        HttpRequestInstrumentation.class.getName() + "$SendAdvice");
    transformer.applyAdviceToMethod(
        named("abort").and(takesArguments(1)).and(takesArgument(0, Throwable.class)),
        HttpRequestInstrumentation.class.getName() + "$AbortAdvice");
  }

  @SuppressWarnings("unused")
  public static class SendAdvice {
    /** True: inmesh owns the call, Jetty's own send is skipped. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static boolean onEnter(
        @Advice.This HttpRequest request,
        @Advice.FieldValue("client") HttpClient client,
        @Advice.Argument(0) Response.CompleteListener listener) {
      return JettyMeshCall.take(client, request, listener);
    }
  }

  @SuppressWarnings("unused")
  public static class AbortAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.This HttpRequest request, @Advice.Argument(0) Throwable cause) {
      JettyMeshCall.aborted(request, cause);
    }
  }
}
