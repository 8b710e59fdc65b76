package io.inmesh.instrumentation.springretry;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Spring Framework 7's own retry support ({@code org.springframework.core.retry}, in spring-core):
 * while its {@code RetryTemplate} runs a {@code Retryable} on a thread, the application owns retries
 * for the calls made there ({@code io.inmesh.bootstrap.ApplicationRetries}), as for Spring Retry's
 * template (the other module of this artifact) and Resilience4j's {@code Retry}: the README's "No
 * retry storms" rule. A module of its own, not a second type of {@link SpringRetryInstrumentationModule}:
 * the two libraries are independent (an application has either, or both), and each module's
 * class-loader check names its own library.
 *
 * <p>No helper classes: the advice calls only the bootstrap seam.
 */
public class SpringCoreRetryInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public SpringCoreRetryInstrumentationModule() {
    super("inmesh-spring-core-retry", "inmesh-spring-core-retry-7.0", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** Muzzle is a Gradle plugin we cannot use: the template and {@code Retryable} came with spring-core 7.0. */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("org.springframework.core.retry.RetryTemplate", "org.springframework.core.retry.Retryable");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new CoreRetryTemplateInstrumentation());
  }

  /** No helpers to inject; INJECTED is the strategy both hosts (mesh and traced) run. */
  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
