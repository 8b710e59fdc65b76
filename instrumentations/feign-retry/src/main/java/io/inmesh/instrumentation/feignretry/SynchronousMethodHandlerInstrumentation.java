package io.inmesh.instrumentation.feignretry;

import static net.bytebuddy.matcher.ElementMatchers.declaresField;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.ApplicationRetries;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Feign's retry loop is {@code SynchronousMethodHandler.invoke(Object[])}: it clones the client's
 * {@code Retryer} and sends until the retryer propagates the {@code RetryableException}. A scope
 * entered on that method's entry and left on its exit (return or throw, try/finally by Byte Buddy)
 * covers exactly the retrying execution and can't leak. Feign 13.6 keeps the retryer in the
 * handler's {@code MethodHandlerConfiguration}; earlier 13.x in a {@code retryer} field: each
 * layout has its advice, chosen by the field the class declares.
 *
 * <p>{@code AsyncFeign}'s handler retries on other threads: {@link AsyncFeignInstrumentation}.
 */
public class SynchronousMethodHandlerInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("feign.SynchronousMethodHandler")
        .and(declaresField(named("methodHandlerConfiguration")).or(declaresField(named("retryer"))));
  }

  @Override
  public void transform(TypeTransformer transformer) {
    // one advice per layout: the field each binds must exist where it is applied
    transformer.applyAdviceToMethod(
        named("invoke").and(takesArguments(1)).and(isDeclaredIn("methodHandlerConfiguration")),
        SynchronousMethodHandlerInstrumentation.class.getName() + "$ConfiguredRetryerAdvice");
    transformer.applyAdviceToMethod(
        named("invoke").and(takesArguments(1)).and(isDeclaredIn("retryer")),
        SynchronousMethodHandlerInstrumentation.class.getName() + "$RetryerFieldAdvice");
  }

  /** A method of a class that declares the field {@code name}. */
  private static ElementMatcher.Junction<net.bytebuddy.description.method.MethodDescription> isDeclaredIn(String field) {
    return new ElementMatcher.Junction.AbstractBase<>() {
      @Override
      public boolean matches(net.bytebuddy.description.method.MethodDescription m) {
        return !m.getDeclaringType().asErasure().getDeclaredFields().filter(named(field)).isEmpty();
      }
    };
  }

  @SuppressWarnings("unused")
  public static class ConfiguredRetryerAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static boolean onEnter(@Advice.FieldValue("methodHandlerConfiguration") feign.MethodHandlerConfiguration config) {
      if (config == null) {
        return false;
      }
      feign.Retryer retryer = config.getRetryer();
      if (retryer == null || retryer == feign.Retryer.NEVER_RETRY) {
        return false;
      }
      ApplicationRetries.enter();
      return true;
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter boolean entered) {
      if (entered) {
        ApplicationRetries.exit();
      }
    }
  }

  @SuppressWarnings("unused")
  public static class RetryerFieldAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static boolean onEnter(@Advice.FieldValue("retryer") feign.Retryer retryer) {
      if (retryer == null || retryer == feign.Retryer.NEVER_RETRY) {
        return false;
      }
      ApplicationRetries.enter();
      return true;
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter boolean entered) {
      if (entered) {
        ApplicationRetries.exit();
      }
    }
  }
}
