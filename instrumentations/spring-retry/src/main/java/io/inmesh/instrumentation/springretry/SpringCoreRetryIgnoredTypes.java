package io.inmesh.instrumentation.springretry;

import io.opentelemetry.javaagent.extension.ignore.IgnoredTypesBuilder;
import io.opentelemetry.javaagent.extension.ignore.IgnoredTypesConfigurer;

/**
 * The OpenTelemetry agent leaves {@code org.springframework.core.*} untransformed except for a few
 * classes it names itself, so in the traced profile {@link CoreRetryTemplateInstrumentation} never
 * saw Spring Framework 7's {@code RetryTemplate} and the mesh multiplied its attempts (the mesh
 * profile has no such list). Read only by the traced profile's host.
 */
public class SpringCoreRetryIgnoredTypes implements IgnoredTypesConfigurer {
  @Override
  public void configure(IgnoredTypesBuilder builder) {
    builder.allowClass("org.springframework.core.retry.RetryTemplate");
  }
}
