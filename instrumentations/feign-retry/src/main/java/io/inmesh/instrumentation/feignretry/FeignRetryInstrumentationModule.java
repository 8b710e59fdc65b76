package io.inmesh.instrumentation.feignretry;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * OpenFeign's {@code Retryer} (13.x): while Feign's own retry loop runs a call on a thread, the mesh
 * knows the application owns retries for it ({@code io.inmesh.bootstrap.ApplicationRetries}), as
 * for Resilience4j's {@code Retry} (the README's "No retry storms" rule). A Feign client whose
 * retryer is {@code Retryer.NEVER_RETRY} (Spring Cloud OpenFeign's default) does not retry, so it
 * claims nothing and the mesh keeps its own status retries for it. {@code AsyncFeign}'s retryer too,
 * one attempt at a time ({@link AsyncFeignInstrumentation}).
 *
 * <p>No helper classes: the advice calls only the bootstrap seam and Feign's public API.
 */
public class FeignRetryInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public FeignRetryInstrumentationModule() {
    super("inmesh-feign-retry", "inmesh-feign-retry-13.0", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /** Muzzle is a Gradle plugin we cannot use: Feign's synchronous handler and its retryer guard the range. */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed("feign.SynchronousMethodHandler", "feign.Retryer");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    List<TypeInstrumentation> all = new java.util.ArrayList<>();
    all.add(new SynchronousMethodHandlerInstrumentation());
    all.addAll(AsyncFeignInstrumentation.all());
    return all;
  }

  /** No helpers to inject; INJECTED is the strategy both hosts (mesh and traced) run. */
  @Override
  public HelperClassStrategy helperClassStrategy() {
    return HelperClassStrategy.INJECTED;
  }
}
