package io.inmesh.instrumentation.reactornetty;

import io.opentelemetry.javaagent.extension.ignore.IgnoredTypesBuilder;
import io.opentelemetry.javaagent.extension.ignore.IgnoredTypesConfigurer;

/**
 * The OpenTelemetry agent leaves {@code org.springframework.http.*} untransformed except for the
 * classes it instruments itself; {@link RestClientRequestInstrumentation} needs Spring's Reactor
 * request of the blocking clients to be transformed too.
 */
public class SpringReactorClientIgnoredTypes implements IgnoredTypesConfigurer {
  @Override
  public void configure(IgnoredTypesBuilder builder) {
    builder.allowClass("org.springframework.http.client.ReactorClientHttpRequest");
  }
}
