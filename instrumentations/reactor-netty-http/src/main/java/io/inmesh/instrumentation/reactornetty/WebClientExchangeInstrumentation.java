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
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import reactor.core.publisher.Mono;

/**
 * Spring's {@code ExchangeFunctions.DefaultExchangeFunction.exchange(ClientRequest)}: the last place
 * where a WebClient request's headers are known before Reactor Netty acquires a connection. The
 * advice only carries them, in the exchange's Reactor context, to the Reactor Netty layer that
 * takes the (single) mesh decision.
 */
public class WebClientExchangeInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<ClassLoader> classLoaderOptimization() {
    return hasClassesNamed("org.springframework.web.reactive.function.client.ExchangeFunctions");
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.springframework.web.reactive.function.client.ExchangeFunctions$DefaultExchangeFunction");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("exchange").and(takesArguments(1)).and(takesArgument(0, named("org.springframework.web.reactive.function.client.ClientRequest"))),
        WebClientExchangeInstrumentation.class.getName() + "$ExchangeAdvice");
  }

  @SuppressWarnings("unused")
  public static class ExchangeAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned
    public static Mono<ClientResponse> onExit(@Advice.Argument(0) ClientRequest request, @Advice.Return Mono<ClientResponse> result) {
      return WebClientHeaders.carry(request, result);
    }
  }
}
