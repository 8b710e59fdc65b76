package io.inmesh.instrumentation.springretry;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.ApplicationRetries;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Every {@code RetryTemplate.execute(..)} overload, stateless or stateful, runs the retry loop in
 * {@code doExecute(RetryCallback, RecoveryCallback, RetryState)}; so do {@code @Retryable}'s
 * interceptors. A scope entered on its entry and left on its exit (return or throw) covers exactly
 * the retrying execution and can't leak. A subclass that overrides {@code doExecute} and calls
 * {@code super} nests one scope in another, which is harmless (scopes count).
 *
 * <p>Calls made by a {@code RecoveryCallback} (run inside {@code doExecute} after the last attempt)
 * are counted as retried by the application too: the mesh still retries their network errors.
 */
public class RetryTemplateInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.springframework.retry.support.RetryTemplate");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("doExecute").and(takesArguments(3)).and(takesArgument(0, named("org.springframework.retry.RetryCallback"))),
        RetryTemplateInstrumentation.class.getName() + "$DoExecuteAdvice");
  }

  @SuppressWarnings("unused")
  public static class DoExecuteAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter() {
      ApplicationRetries.enter();
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit() {
      ApplicationRetries.exit();
    }
  }
}
