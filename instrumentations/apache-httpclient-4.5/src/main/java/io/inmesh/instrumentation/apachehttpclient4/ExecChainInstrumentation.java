package io.inmesh.instrumentation.apachehttpclient4;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.http.client.HttpRequestRetryHandler;
import org.apache.http.client.ServiceUnavailableRetryStrategy;
import org.apache.http.impl.execchain.ClientExecChain;

/**
 * 4.5's builder has no hook between its redirect and retry elements, so the chain is assembled
 * through the elements' public constructors, which {@code HttpClientBuilder.build()} calls in order:
 * the element handed to {@code RedirectExec} is wrapped in the mesh's ({@link Mesh4ExecChain}), and
 * the handler/strategy handed to {@code RetryExec}/{@code ServiceUnavailableRetryExec} are gated
 * ({@link RetryGates}). A client built with redirect handling disabled has no redirect element and is
 * not meshed.
 */
public class ExecChainInstrumentation implements TypeInstrumentation {
  private final String type;

  ExecChainInstrumentation(String type) {
    this.type = type;
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named(type);
  }

  @Override
  public void transform(TypeTransformer transformer) {
    switch (type) {
      case "org.apache.http.impl.execchain.RedirectExec" -> transformer.applyAdviceToMethod(
          isConstructor().and(takesArguments(3)).and(takesArgument(0, named("org.apache.http.impl.execchain.ClientExecChain"))),
          ExecChainInstrumentation.class.getName() + "$RedirectAdvice");
      case "org.apache.http.impl.execchain.RetryExec" -> transformer.applyAdviceToMethod(
          isConstructor().and(takesArguments(2)).and(takesArgument(1, named("org.apache.http.client.HttpRequestRetryHandler"))),
          ExecChainInstrumentation.class.getName() + "$RetryAdvice");
      default -> transformer.applyAdviceToMethod(
          isConstructor().and(takesArguments(2)).and(takesArgument(1, named("org.apache.http.client.ServiceUnavailableRetryStrategy"))),
          ExecChainInstrumentation.class.getName() + "$ServiceUnavailableAdvice");
    }
  }

  @SuppressWarnings("unused")
  public static class RedirectAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(0))
    public static ClientExecChain onEnter(@Advice.Argument(0) ClientExecChain next) {
      return Mesh4ExecChain.wrap(next);
    }
  }

  @SuppressWarnings("unused")
  public static class RetryAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(1))
    public static HttpRequestRetryHandler onEnter(@Advice.Argument(1) HttpRequestRetryHandler handler) {
      return RetryGates.gate(handler);
    }
  }

  @SuppressWarnings("unused")
  public static class ServiceUnavailableAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(1))
    public static ServiceUnavailableRetryStrategy onEnter(@Advice.Argument(1) ServiceUnavailableRetryStrategy strategy) {
      return RetryGates.gate(strategy);
    }
  }
}
