package io.inmesh.instrumentation.springcloudloadbalancer;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.internal.ExperimentalInstrumentationModule;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Spring Cloud LoadBalancer (spring-cloud-commons 4.x, Spring Cloud 2023.0 to 2025.x): a
 * {@code @LoadBalanced RestTemplate}, {@code RestClient.Builder} or {@code WebClient.Builder}
 * calling a host the mesh routes hands the request, URL unchanged, to the next element (the
 * meshed HTTP client below), instead of asking Spring's discovery, which knows no mesh name and
 * answers "No instances available for usuario-service".
 *
 * <p><b>Step aside, not serve {@code ServiceInstance}s from the mesh registry.</b> Serving
 * instances would make Spring Cloud pick the endpoint once per call and rewrite the URL to that
 * address; the meshed client below would then see an IP, not a mesh name, and the mesh would
 * lose the call: no route match on headers (the seed's {@code x-canary} rule), no split, no
 * subset, no per-attempt endpoint pick, no retries to another endpoint, no outlier ejection, no
 * mTLS to the peer's identity, no fault or timeout policy. Or, if the client still recognised the
 * address, the call would have two decisions (Spring's pick and the mesh's). Stepping aside leaves
 * the name in the URL, so the layered client gets exactly one mesh decision per call, taken by
 * the client that sends it, with an endpoint per attempt (issue 14: "Layered clients get exactly
 * one mesh decision per call").
 *
 * <p><b>Which hosts.</b> {@code io.inmesh.bootstrap.Mesh#routes}: a host with a route in the
 * snapshot in force, or, before the first snapshot and while the bounded start-up wait is on, a
 * host that could be a mesh name. The advice never blocks: the start-up wait is the meshed
 * client's (HttpURLConnection and the JDK client park the caller, Reactor Netty waits on a stage).
 * Hosts the mesh does not route (served by Eureka, Consul, simple discovery) keep Spring Cloud's
 * behaviour, as do https URLs (the application's own TLS) and calls after the start-up wait
 * expired with no snapshot (the mesh passes them through, so Spring's discovery is the only one
 * that can help). Spring Cloud's own retry ({@code RetryLoadBalancerInterceptor}, {@code
 * RetryableLoadBalancerExchangeFilterFunction}) steps aside too: on a mesh host, the
 * VirtualService's retry policy governs.
 *
 * <p><b>Why named internals.</b> Spring Cloud has no extension point to skip load balancing per
 * host: the interceptors are added by {@code @LoadBalanced} bean post-processing and always resolve
 * the host through {@code LoadBalancerClient}. An interceptor or filter of our own placed before
 * them could not skip them either. So the four classes' entry methods are advised: when the mesh
 * routes the host, the method body is skipped and its result is the next element's.
 * {@code @LoadBalanced RestClient.Builder} goes through the same two interceptors
 * ({@code DeferringLoadBalancerInterceptor} delegates to them), and the deferring exchange filter
 * function of {@code WebClient.Builder} delegates to the two filter functions.
 *
 * <p>An error in the check fails open: the method runs as without inmesh (Spring Cloud's
 * behaviour), never breaking the call.
 */
public class SpringCloudLoadBalancerInstrumentationModule extends InstrumentationModule
    implements ExperimentalInstrumentationModule {

  public SpringCloudLoadBalancerInstrumentationModule() {
    super("inmesh-spring-cloud-loadbalancer", "inmesh-spring-cloud-loadbalancer-4.0", "inmesh");
  }

  @Override
  public boolean defaultEnabled(ConfigProperties config) {
    return true;
  }

  /**
   * Muzzle is not available, so the range is guarded by name: spring-cloud-commons 4.x has the
   * Spring 6 interceptor and the {@code LoadBalancerRequestFactory} it builds requests with.
   */
  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    return hasClassesNamed(
        "org.springframework.cloud.client.loadbalancer.LoadBalancerRequestFactory",
        "org.springframework.http.client.ClientHttpRequestExecution");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new LoadBalancerInterceptorInstrumentation(), new LoadBalancerExchangeFilterInstrumentation());
  }
}
