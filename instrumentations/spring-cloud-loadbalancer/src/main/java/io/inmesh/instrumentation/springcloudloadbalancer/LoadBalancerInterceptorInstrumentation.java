package io.inmesh.instrumentation.springcloudloadbalancer;

import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.Mesh;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.io.IOException;
import java.net.URI;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpResponse;

/**
 * {@code LoadBalancerInterceptor} and {@code RetryLoadBalancerInterceptor} (RestTemplate and
 * RestClient): {@code intercept(request, body, execution)} on a mesh host returns {@code
 * execution.execute(request, body)}, the request untouched.
 */
public class LoadBalancerInterceptorInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return namedOneOf(
        "org.springframework.cloud.client.loadbalancer.LoadBalancerInterceptor",
        "org.springframework.cloud.client.loadbalancer.RetryLoadBalancerInterceptor");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("intercept")
            .and(isPublic())
            .and(takesArguments(3))
            .and(takesArgument(0, named("org.springframework.http.HttpRequest")))
            .and(takesArgument(2, named("org.springframework.http.client.ClientHttpRequestExecution"))),
        LoadBalancerInterceptorInstrumentation.class.getName() + "$StepAsideAdvice");
  }

  @SuppressWarnings("unused")
  public static class StepAsideAdvice {

    /** True (skip Spring Cloud's body) when the mesh routes the host. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static boolean onEnter(@Advice.Argument(0) HttpRequest request) {
      URI uri = request.getURI();
      return "http".equalsIgnoreCase(uri.getScheme()) && Mesh.routes(uri.getHost());
    }

    /** Not suppressed: the next element's IOException is the call's, as without the load balancer. */
    @Advice.OnMethodExit
    @Advice.AssignReturned.ToReturned
    public static ClientHttpResponse onExit(
        @Advice.Enter boolean stepAside,
        @Advice.Argument(0) HttpRequest request,
        @Advice.Argument(1) byte[] body,
        @Advice.Argument(2) ClientHttpRequestExecution execution,
        @Advice.Return ClientHttpResponse response)
        throws IOException {
      return stepAside ? execution.execute(request, body) : response;
    }
  }
}
