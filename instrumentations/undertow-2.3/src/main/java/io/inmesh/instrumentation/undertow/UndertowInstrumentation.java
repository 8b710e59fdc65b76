package io.inmesh.instrumentation.undertow;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import io.undertow.Undertow;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code Undertow.start()} binds every listener and resumes accepts before it returns: from then on
 * they serve, so that is when their bound addresses are registered. {@code Undertow.stop()}
 * deregisters them first (it forgets its listeners as it ends).
 */
public class UndertowInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("io.undertow.Undertow");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(named("start").and(takesArguments(0)), UndertowInstrumentation.class.getName() + "$StartAdvice");
    transformer.applyAdviceToMethod(named("stop").and(takesArguments(0)), UndertowInstrumentation.class.getName() + "$StopAdvice");
  }

  @SuppressWarnings("unused")
  public static class StartAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.This Undertow undertow) {
      UndertowListeners.started(undertow);
    }
  }

  @SuppressWarnings("unused")
  public static class StopAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.This Undertow undertow) {
      UndertowListeners.stopping(undertow);
    }
  }
}
