package io.inmesh.instrumentation.springcloudloadbalancer;

import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.Mesh;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.net.URI;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import reactor.core.publisher.Mono;

/**
 * {@code ReactorLoadBalancerExchangeFilterFunction} and {@code
 * RetryableLoadBalancerExchangeFilterFunction} (a {@code @LoadBalanced WebClient.Builder}): {@code
 * filter(request, next)} on a mesh host returns {@code next.exchange(request)}, the request
 * untouched. The check reads one volatile and a map: nothing blocks the caller, which may be an
 * event loop; a start-up wait is Reactor Netty's adapter's, on a stage.
 */
public class LoadBalancerExchangeFilterInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return namedOneOf(
        "org.springframework.cloud.client.loadbalancer.reactive.ReactorLoadBalancerExchangeFilterFunction",
        "org.springframework.cloud.client.loadbalancer.reactive.RetryableLoadBalancerExchangeFilterFunction");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("filter")
            .and(isPublic())
            .and(takesArguments(2))
            .and(takesArgument(0, named("org.springframework.web.reactive.function.client.ClientRequest")))
            .and(takesArgument(1, named("org.springframework.web.reactive.function.client.ExchangeFunction"))),
        LoadBalancerExchangeFilterInstrumentation.class.getName() + "$StepAsideAdvice");
  }

  @SuppressWarnings("unused")
  public static class StepAsideAdvice {

    /** True (skip Spring Cloud's body) when the mesh routes the host. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static boolean onEnter(@Advice.Argument(0) ClientRequest request) {
      URI uri = request.url();
      return "http".equalsIgnoreCase(uri.getScheme()) && Mesh.routes(uri.getHost());
    }

    @Advice.OnMethodExit
    @Advice.AssignReturned.ToReturned
    public static Mono<ClientResponse> onExit(
        @Advice.Enter boolean stepAside,
        @Advice.Argument(0) ClientRequest request,
        @Advice.Argument(1) ExchangeFunction next,
        @Advice.Return Mono<ClientResponse> response) {
      return stepAside ? next.exchange(request) : response;
    }
  }
}
