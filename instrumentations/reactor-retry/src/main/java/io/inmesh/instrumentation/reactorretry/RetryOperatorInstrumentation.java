package io.inmesh.instrumentation.reactorretry;

import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.ApplicationRetries;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code Mono}/{@code Flux}: {@code retryWhen(Retry)} and {@code retry(long)} (which {@code retry()}
 * calls) return the retrying publisher followed by {@code contextWrite} of the mark: a subscriber's
 * context is what every (re)subscription of the source sees, so each attempt's client call reads it,
 * on whatever thread it runs, and nothing outlives the subscription. Reactor Netty's own internal
 * {@code retryWhen} (redirects, a reset pooled connection) sits below the mesh's decision, inside one
 * attempt, so its mark is not seen by the decision.
 */
public class RetryOperatorInstrumentation implements TypeInstrumentation {
  private final String type;

  public RetryOperatorInstrumentation(String type) {
    this.type = type;
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named(type);
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        isPublic()
            .and(named("retryWhen").and(takesArguments(1)).and(takesArgument(0, named("reactor.util.retry.Retry")))
                .or(named("retry").and(takesArguments(1)).and(takesArgument(0, long.class)))),
        RetryOperatorInstrumentation.class.getName() + (type.endsWith("Mono") ? "$MonoAdvice" : "$FluxAdvice"));
  }

  @SuppressWarnings("unused")
  public static class MonoAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned(typing = Assigner.Typing.DYNAMIC)
    public static Object onExit(@Advice.Return Object retrying) {
      try {
        return ((reactor.core.publisher.Mono<?>) retrying)
            .contextWrite(reactor.util.context.Context.of(ApplicationRetries.REACTOR_CONTEXT_KEY, Boolean.TRUE));
      } catch (Throwable t) {
        return retrying;
      }
    }
  }

  @SuppressWarnings("unused")
  public static class FluxAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned(typing = Assigner.Typing.DYNAMIC)
    public static Object onExit(@Advice.Return Object retrying) {
      try {
        return ((reactor.core.publisher.Flux<?>) retrying)
            .contextWrite(reactor.util.context.Context.of(ApplicationRetries.REACTOR_CONTEXT_KEY, Boolean.TRUE));
      } catch (Throwable t) {
        return retrying;
      }
    }
  }
}
