package io.inmesh.instrumentation.springretry;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Spring Framework 7's {@code org.springframework.core.retry.RetryTemplate.execute(Retryable)} runs
 * the whole retry loop (attempts, back-off sleeps, the final {@code RetryException}) on the caller's
 * thread; {@code invoke(Supplier)}, {@code invoke(Runnable)} and {@code RetryTask} (over the default
 * {@code RetryOperations}) go through it. A scope entered on its entry and left on its exit covers
 * exactly the retrying execution and can't leak; a nested call nests scopes, which count.
 */
public class CoreRetryTemplateInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.springframework.core.retry.RetryTemplate");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("execute").and(takesArguments(1)).and(takesArgument(0, named("org.springframework.core.retry.Retryable"))),
        // the same scope as Spring Retry's template: the application retries every call made inside
        RetryTemplateInstrumentation.class.getName() + "$DoExecuteAdvice");
  }
}
