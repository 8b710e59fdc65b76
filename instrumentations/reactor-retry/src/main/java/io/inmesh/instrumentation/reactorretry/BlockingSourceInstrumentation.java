package io.inmesh.instrumentation.reactorretry;

import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.ApplicationRetries;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Issue 14: a Reactor retry around a client other than Reactor Netty, e.g.
 * {@code Mono.fromCallable(() -> jdkClient.send(..)).subscribeOn(boundedElastic()).retryWhen(..)}.
 * Only Reactor Netty reads the retry operators' context mark itself; a blocking client called from a
 * Reactor source knows nothing of Reactor. So where Reactor's own sources run the application's code,
 * the mark of the subscriber they serve becomes a thread scope for exactly that run
 * ({@code ApplicationRetries.enter/exit}), which every meshed client reads at its decision:
 *
 * <ul>
 *   <li>{@code Mono.fromCallable}: the callable runs in {@code MonoCallableSubscription.request(n)}
 *       (reactor-core 3.5+) or, before, within {@code MonoCallable.subscribe};
 *   <li>{@code Mono.fromSupplier}: {@code MonoSupplierSubscription.request(n)};
 *   <li>{@code fromCallable(..).subscribeOn(scheduler)} (Reactor's advice for blocking calls): the
 *       callable runs in {@code CallableSubscribeOnSubscription.run()} on the scheduler's thread;
 *   <li>{@code Mono.defer(..)} and {@code Mono.fromFuture(Supplier)} (a deferred {@code sendAsync}):
 *       the supplier runs within {@code MonoDefer.subscribe}, where an asynchronous client takes its
 *       decision.
 * </ul>
 *
 * The subscriber's context is read through Reactor's public {@code Scannable} ({@code Attr.ACTUAL}),
 * not through the classes' fields. A source outside this list (a custom {@code Mono.create} that
 * hands the work to another thread, {@code Mono.fromFuture(CompletableFuture)} made before the
 * subscription) is not scoped: its calls get the mesh's retries (README, Reactor row).
 */
public class BlockingSourceInstrumentation implements TypeInstrumentation {
  private final String type;
  private final boolean subscriberIsArgument;

  private BlockingSourceInstrumentation(String type, boolean subscriberIsArgument) {
    this.type = type;
    this.subscriberIsArgument = subscriberIsArgument;
  }

  /** The inner subscription whose {@code request(long)} runs the application's code. */
  static BlockingSourceInstrumentation request(String type) {
    return new BlockingSourceInstrumentation(type, false);
  }

  /** The inner subscription whose {@code run()} runs the application's code on a scheduler. */
  static BlockingSourceInstrumentation run(String type) {
    return new BlockingSourceInstrumentation(type, false);
  }

  /** The publisher whose {@code subscribe(CoreSubscriber)} runs the application's code. */
  static BlockingSourceInstrumentation subscribe(String type) {
    return new BlockingSourceInstrumentation(type, true);
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named(type);
  }

  @Override
  public void transform(TypeTransformer transformer) {
    if (subscriberIsArgument) {
      transformer.applyAdviceToMethod(
          isPublic().and(named("subscribe")).and(takesArguments(1)).and(takesArgument(0, named("reactor.core.CoreSubscriber"))),
          BlockingSourceInstrumentation.class.getName() + "$SubscribeAdvice");
    } else {
      ElementMatcher.Junction<MethodDescription> methods =
          named("request").and(takesArguments(1)).and(takesArgument(0, long.class)).or(named("run").and(takesArguments(0)));
      transformer.applyAdviceToMethod(isPublic().and(methods), BlockingSourceInstrumentation.class.getName() + "$InnerAdvice");
    }
  }

  @SuppressWarnings("unused")
  public static class SubscribeAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static boolean onEnter(@Advice.Argument(0) Object subscriber) {
      if (subscriber instanceof reactor.core.CoreSubscriber
          && ((reactor.core.CoreSubscriber<?>) subscriber).currentContext().hasKey(ApplicationRetries.REACTOR_CONTEXT_KEY)) {
        ApplicationRetries.enter();
        return true;
      }
      return false;
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter boolean entered) {
      if (entered) {
        ApplicationRetries.exit();
      }
    }
  }

  @SuppressWarnings("unused")
  public static class InnerAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static boolean onEnter(@Advice.This Object subscription) {
      Object actual = reactor.core.Scannable.from(subscription).scanUnsafe(reactor.core.Scannable.Attr.ACTUAL);
      if (actual instanceof reactor.core.CoreSubscriber
          && ((reactor.core.CoreSubscriber<?>) actual).currentContext().hasKey(ApplicationRetries.REACTOR_CONTEXT_KEY)) {
        ApplicationRetries.enter();
        return true;
      }
      return false;
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter boolean entered) {
      if (entered) {
        ApplicationRetries.exit();
      }
    }
  }
}
