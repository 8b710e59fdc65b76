package io.inmesh.instrumentation.feignretry;

import static net.bytebuddy.matcher.ElementMatchers.hasSuperType;
import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.ApplicationRetries;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.util.List;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code AsyncFeign}'s retry loop (feign-core 13): {@code AsynchronousMethodHandler.executeAndDecode
 * (template, options, retryer)} sends one attempt and, when it fails, asks the retryer and calls
 * itself again from the completion callback, on whatever thread completed the attempt. No scope can
 * span that loop on one thread, so each attempt gets its own:
 *
 * <ol>
 *   <li>around {@code executeAndDecode} with a retryer other than {@code NEVER_RETRY}: the attempt
 *       is started under an application retry on the thread that starts it (the caller's for the
 *       first, a callback's for the next). An {@code AsyncClient} that takes its mesh decision there
 *       (Apache's async client) is covered by this scope alone;
 *   <li>{@code AsyncClient.Default} sends the attempt on its executor: its {@code execute} marks the
 *       request as handed over under that retry ({@link ApplicationRetries#handOver});
 *   <li>the {@code feign.Client} that then sends a marked request, on the executor's thread, enters
 *       the scope around its {@code execute}: the meshed client below it (HttpURLConnection, OkHttp,
 *       Apache) sees the application's retry.
 * </ol>
 */
final class AsyncFeignInstrumentation {
  private AsyncFeignInstrumentation() {}

  static List<TypeInstrumentation> all() {
    String advice = AsyncFeignInstrumentation.class.getName();
    return List.of(
        // 1: each attempt started under the handler's retryer
        new Hook(
            named("feign.AsynchronousMethodHandler"),
            named("executeAndDecode").and(takesArguments(3)).and(takesArgument(2, named("feign.Retryer"))),
            advice + "$AttemptAdvice"),
        // 2: the default async client's hand-over to its executor
        new Hook(
            named("feign.AsyncClient$Default"),
            named("execute").and(takesArguments(3)).and(takesArgument(0, named("feign.Request"))),
            advice + "$HandOverAdvice"),
        // 3: whichever feign.Client sends a handed-over request
        new Hook(
            not(isInterface()).and(hasSuperType(named("feign.Client"))),
            named("execute").and(not(isAbstract())).and(takesArguments(2)).and(takesArgument(0, named("feign.Request"))),
            advice + "$SendAdvice"));
  }

  /** One advice on the methods {@code methods} of the types {@code types}. */
  private record Hook(ElementMatcher<TypeDescription> types, ElementMatcher<? super MethodDescription> methods, String advice)
      implements TypeInstrumentation {
    @Override
    public ElementMatcher<TypeDescription> typeMatcher() {
      return types;
    }

    @Override
    public void transform(TypeTransformer transformer) {
      transformer.applyAdviceToMethod(methods, advice);
    }
  }

  @SuppressWarnings("unused")
  public static class AttemptAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static boolean onEnter(@Advice.Argument(2) feign.Retryer retryer) {
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
  public static class HandOverAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.Argument(0) Object request) {
      ApplicationRetries.handOver(request);
    }
  }

  @SuppressWarnings("unused")
  public static class SendAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static boolean onEnter(@Advice.Argument(0) Object request) {
      if (!ApplicationRetries.handedOver(request)) {
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
