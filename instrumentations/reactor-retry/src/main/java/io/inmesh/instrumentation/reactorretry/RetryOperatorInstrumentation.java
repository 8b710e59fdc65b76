package io.inmesh.instrumentation.reactorretry;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
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
 * Reactor's retry operators mark the source they resubscribe: {@code retryWhen(Retry)} on
 * {@code Mono} and {@code Flux} subscribes it through {@code FluxRetryWhen.subscribe(subscriber, retry,
 * source)}, {@code retry(long)} (which {@code retry()} calls) through a {@code FluxRetry.RetrySubscriber}
 * built with it, in reactor-core 3.4 to 3.8 alike. The advice swaps that source for
 * {@code source.contextWrite(mark)}: each (re)subscription of the source then carries the mark in its
 * subscriber's context, so each attempt's client call reads it, on whatever thread it runs, and nothing
 * outlives the subscription. Everything upstream of the operator sees the mark, as when the operator's
 * result was wrapped at assembly; the operator itself and what is downstream of it do not, and need not.
 *
 * <p>These two small classes, not {@code Mono} and {@code Flux} (101 and 172 KB, loaded by every
 * Spring Boot application with reactor-core on its class path, reactive or not): weaving those two
 * cost the mesh profile ~200 ms each on a cold JVM, on the application's thread before its first
 * meshed call (bench/README, issue 13).
 *
 * <p>Reactor Netty's own internal {@code retryWhen} (redirects, a reset pooled connection) sits below
 * the mesh's decision, inside one attempt, so its mark is not seen by the decision.
 */
public class RetryOperatorInstrumentation implements TypeInstrumentation {
  private final String type;

  private RetryOperatorInstrumentation(String type) {
    this.type = type;
  }

  /** {@code retryWhen(Retry)}: the static {@code FluxRetryWhen.subscribe} that both operators call. */
  static RetryOperatorInstrumentation retryWhen() {
    return new RetryOperatorInstrumentation("reactor.core.publisher.FluxRetryWhen");
  }

  /** {@code retry(long)}: the subscriber both {@code MonoRetry} and {@code FluxRetry} build per subscription. */
  static RetryOperatorInstrumentation retry() {
    return new RetryOperatorInstrumentation("reactor.core.publisher.FluxRetry$RetrySubscriber");
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named(type);
  }

  @Override
  public void transform(TypeTransformer transformer) {
    if (type.endsWith("RetryWhen")) {
      transformer.applyAdviceToMethod(
          isStatic().and(named("subscribe")).and(takesArguments(3)).and(takesArgument(1, named("reactor.util.retry.Retry")))
              .and(takesArgument(2, named("reactor.core.CorePublisher"))),
          RetryOperatorInstrumentation.class.getName() + "$RetryWhenAdvice");
    } else {
      transformer.applyAdviceToMethod(
          isConstructor().and(takesArguments(3)).and(takesArgument(0, named("reactor.core.CorePublisher"))).and(takesArgument(2, long.class)),
          RetryOperatorInstrumentation.class.getName() + "$RetryAdvice");
    }
  }

  @SuppressWarnings("unused")
  public static class RetryWhenAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(value = 2, typing = Assigner.Typing.DYNAMIC))
    public static Object onEnter(@Advice.Argument(2) Object source) {
      try {
        reactor.util.context.Context mark = reactor.util.context.Context.of(ApplicationRetries.REACTOR_CONTEXT_KEY, Boolean.TRUE);
        return source instanceof reactor.core.publisher.Mono
            ? ((reactor.core.publisher.Mono<?>) source).contextWrite(mark)
            : reactor.core.publisher.Flux.from((org.reactivestreams.Publisher<?>) source).contextWrite(mark);
      } catch (Throwable t) {
        return source;
      }
    }
  }

  /** The same as {@link RetryWhenAdvice}, for the constructor's first argument (before the super call). */
  @SuppressWarnings("unused")
  public static class RetryAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(value = 0, typing = Assigner.Typing.DYNAMIC))
    public static Object onEnter(@Advice.Argument(0) Object source) {
      try {
        reactor.util.context.Context mark = reactor.util.context.Context.of(ApplicationRetries.REACTOR_CONTEXT_KEY, Boolean.TRUE);
        return source instanceof reactor.core.publisher.Mono
            ? ((reactor.core.publisher.Mono<?>) source).contextWrite(mark)
            : reactor.core.publisher.Flux.from((org.reactivestreams.Publisher<?>) source).contextWrite(mark);
      } catch (Throwable t) {
        return source;
      }
    }
  }
}
