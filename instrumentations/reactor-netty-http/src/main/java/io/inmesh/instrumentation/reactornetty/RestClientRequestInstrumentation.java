package io.inmesh.instrumentation.reactornetty;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.springframework.http.HttpHeaders;

/**
 * Spring's {@code ReactorClientHttpRequest.executeInternal(HttpHeaders, Body)} (the request of
 * {@code RestClient}/{@code RestTemplate} over {@code ReactorClientHttpRequestFactory}, Spring 6.2
 * and 7): like WebClient it writes its headers inside Reactor Netty's send function, after the
 * connection is acquired. It assembles (and blocks on) the Reactor Netty request on the calling
 * thread, so the headers ride to the decision in a thread-local for the duration of the method.
 */
public class RestClientRequestInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<ClassLoader> classLoaderOptimization() {
    return hasClassesNamed("org.springframework.http.client.ReactorClientHttpRequest");
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.springframework.http.client.ReactorClientHttpRequest");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("executeInternal").and(takesArguments(2)).and(takesArgument(0, named("org.springframework.http.HttpHeaders"))),
        RestClientRequestInstrumentation.class.getName() + "$ExecuteAdvice");
  }

  @SuppressWarnings("unused")
  public static class ExecuteAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.Argument(0) HttpHeaders headers) {
      ReactorMeshCall.assemblingWith(WebClientHeaders.copy(headers));
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit() {
      ReactorMeshCall.assemblingWith(null);
    }
  }
}
