package io.inmesh.instrumentation.apachehttpclient5;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.hc.client5.http.async.AsyncExecChainHandler;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.core5.http.config.NamedElementChain;

/**
 * The builders' {@code customizeExecChain(NamedElementChain)}, which {@code build()} calls with the
 * assembled chain just before it links it: the mesh's handler goes in there (see
 * {@link MeshExecChains}). Apache's caching builders override the hook without calling super, so
 * their overrides are advised too (the cache element then sits below the mesh's); another builder
 * subclass that does the same is not meshed.
 */
public class ExecChainInstrumentation implements TypeInstrumentation {
  private final boolean async;

  ExecChainInstrumentation(boolean async) {
    this.async = async;
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return async
        ? namedOneOf(
            "org.apache.hc.client5.http.impl.async.HttpAsyncClientBuilder",
            "org.apache.hc.client5.http.impl.async.H2AsyncClientBuilder",
            "org.apache.hc.client5.http.impl.cache.CachingHttpAsyncClientBuilder",
            "org.apache.hc.client5.http.impl.cache.CachingH2AsyncClientBuilder")
        : namedOneOf("org.apache.hc.client5.http.impl.classic.HttpClientBuilder", "org.apache.hc.client5.http.impl.cache.CachingHttpClientBuilder");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("customizeExecChain").and(takesArguments(1)),
        ExecChainInstrumentation.class.getName() + (async ? "$AsyncAdvice" : "$ClassicAdvice"));
  }

  @SuppressWarnings("unused")
  public static class ClassicAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.Argument(0) NamedElementChain<ExecChainHandler> chain) {
      MeshExecChains.classic(chain);
    }
  }

  @SuppressWarnings("unused")
  public static class AsyncAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.Argument(0) NamedElementChain<AsyncExecChainHandler> chain) {
      MeshExecChains.async(chain);
    }
  }
}
