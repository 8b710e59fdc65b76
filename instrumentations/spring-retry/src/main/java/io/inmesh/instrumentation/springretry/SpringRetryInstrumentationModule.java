package io.inmesh.instrumentation.springretry;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Spring Retry (2.x): while a {@code RetryTemplate} runs a callback on a thread, the mesh knows the
 * application owns retries for the calls made there ({@code io.inmesh.bootstrap.ApplicationRetries}),
 * as for Resilience4j's {@code Retry} (the README's "No retry storms" rule). {@code @Retryable}
 * methods run through {@code RetryOperationsInterceptor}, that is through a {@code RetryTemplate},
 * so both are covered by one hook.
 *
 * <p>No helper classes: the advice calls only the bootstrap seam.
 */
public class SpringRetryInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public SpringRetryInstrumentationModule() {
    super("inmesh-spring-retry", "inmesh-spring-retry-2.0", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** Muzzle is a Gradle plugin we cannot use: the template and the callback interface guard the range. */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("org.springframework.retry.support.RetryTemplate", "org.springframework.retry.RetryCallback");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new RetryTemplateInstrumentation());
  }

  /** No helpers to inject; INJECTED is the strategy both hosts (mesh and traced) run. */
  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
