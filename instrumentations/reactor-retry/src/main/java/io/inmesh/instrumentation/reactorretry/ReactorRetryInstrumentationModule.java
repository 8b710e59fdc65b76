package io.inmesh.instrumentation.reactorretry;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Reactor's {@code retryWhen(Retry)} and {@code retry(n)} on {@code Mono} and {@code Flux}
 * (reactor-core 3.4+): the application retries a reactive call, so the mesh must retry no status for
 * it (the README's "No retry storms" rule). A thread-bound scope can't follow a subscription (each
 * resubscription runs on the thread that delivered the retry signal: an event loop, a timer), so the
 * source the operator resubscribes carries a mark in its Reactor context instead
 * ({@code ApplicationRetries.REACTOR_CONTEXT_KEY}); the context flows up to every resubscription of
 * the source, where the meshed Reactor Netty client reads it when it takes the call's decision, and
 * where Reactor's own sources ({@code fromCallable}, {@code fromSupplier}, their {@code subscribeOn},
 * {@code defer}/{@code fromFuture(Supplier)}) run another client's call, which then runs in a thread
 * scope ({@link BlockingSourceInstrumentation}).
 *
 * <p>No helper classes: the advice calls only Reactor's public API.
 */
public class ReactorRetryInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public ReactorRetryInstrumentationModule() {
    super("inmesh-reactor-retry", "inmesh-reactor-retry-3.4", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** Muzzle is a Gradle plugin we cannot use: {@code Retry} specs and {@code ContextView} came in 3.4. */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("reactor.util.retry.Retry", "reactor.util.context.ContextView", "reactor.core.publisher.Mono");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(
        RetryOperatorInstrumentation.retryWhen(),
        RetryOperatorInstrumentation.retry(),
        // the mark read where Reactor's own sources run blocking or asynchronous client calls
        BlockingSourceInstrumentation.request("reactor.core.publisher.MonoCallable$MonoCallableSubscription"),
        BlockingSourceInstrumentation.request("reactor.core.publisher.MonoSupplier$MonoSupplierSubscription"),
        BlockingSourceInstrumentation.run("reactor.core.publisher.FluxSubscribeOnCallable$CallableSubscribeOnSubscription"),
        BlockingSourceInstrumentation.subscribe("reactor.core.publisher.MonoCallable"),
        BlockingSourceInstrumentation.subscribe("reactor.core.publisher.MonoDefer"));
  }

  /** No helpers to inject; INJECTED is the strategy both hosts (mesh and traced) run. */
  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
