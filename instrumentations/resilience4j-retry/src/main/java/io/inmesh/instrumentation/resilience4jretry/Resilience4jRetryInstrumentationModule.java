package io.inmesh.instrumentation.resilience4jretry;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Resilience4j {@code Retry} (2.x): while a retrying execution runs on a thread, the mesh knows the
 * application owns retries for the calls made there ({@code io.inmesh.bootstrap.ApplicationRetries}).
 * That is how the mesh avoids retry storms: the application retries business errors, the mesh only
 * transient network errors, and the hops below are told the same.
 */
public class Resilience4jRetryInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public Resilience4jRetryInstrumentationModule() {
    super("inmesh-resilience4j-retry", "inmesh-resilience4j-retry-2.0", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /**
   * Muzzle's build-time checks are a Gradle plugin we cannot use, so the version range is guarded
   * here: {@code core.functions.CheckedSupplier} replaced vavr's functions in 2.0, and the wrappers
   * implement it.
   */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("io.github.resilience4j.retry.Retry", "io.github.resilience4j.core.functions.CheckedSupplier");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new RetryDecoratorInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    // by name: the helpers implement Resilience4j's interfaces, which the agent's loader lacks
    String scoped = "io.inmesh.instrumentation.resilience4jretry.ApplicationRetryScoped";
    return List.of(
        scoped,
        scoped + "$ScopedSupplier",
        scoped + "$ScopedCallable",
        scoped + "$ScopedRunnable",
        scoped + "$ScopedFunction",
        scoped + "$ScopedConsumer",
        scoped + "$ScopedCheckedSupplier",
        scoped + "$ScopedCheckedRunnable",
        scoped + "$ScopedCheckedFunction",
        scoped + "$ScopedCheckedConsumer");
  }

  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
