package io.inmesh.instrumentation.resilience4jretry;

import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Every synchronous way to run something under a Resilience4j {@code Retry} ends in one of the
 * interface's static {@code decorate*(Retry, fn)} methods: the instance {@code decorate*} defaults,
 * {@code executeSupplier}/{@code executeCallable}/{@code executeRunnable}/{@code
 * executeCheckedSupplier}, {@code Decorators.ofSupplier(..).withRetry(..)} and the Spring Boot
 * starter's {@code @Retry} aspect all call them. The function they return owns one {@code
 * Retry.Context} from creation to its last attempt, so wrapping that function in an
 * ApplicationRetries scope covers exactly the retrying execution, and a try/finally in the wrapper
 * closes the scope on success, on the final failure and on an {@code Error}: it can't leak.
 *
 * <p>The asynchronous decorators ({@code decorateCompletionStage}, the reactive operators) are
 * left alone: their attempts run on other threads, where a thread-bound scope would be wrong.
 */
public class RetryDecoratorInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("io.github.resilience4j.retry.Retry");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        isStatic()
            .and(
                namedOneOf(
                    "decorateSupplier",
                    "decorateCallable",
                    "decorateRunnable",
                    "decorateFunction",
                    "decorateConsumer",
                    "decorateCheckedSupplier",
                    "decorateCheckedRunnable",
                    "decorateCheckedFunction",
                    "decorateCheckedConsumer"))
            .and(takesArguments(2))
            .and(takesArgument(0, named("io.github.resilience4j.retry.Retry"))),
        RetryDecoratorInstrumentation.class.getName() + "$ScopeDecoratedAdvice");
  }

  @SuppressWarnings("unused")
  public static class ScopeDecoratedAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned(typing = Assigner.Typing.DYNAMIC)
    public static Object onExit(@Advice.Return Object decorated) {
      return ApplicationRetryScoped.wrap(decorated);
    }
  }
}
