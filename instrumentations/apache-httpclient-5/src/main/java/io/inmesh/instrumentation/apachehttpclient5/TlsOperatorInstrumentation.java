package io.inmesh.instrumentation.apachehttpclient5;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.config.Lookup;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;

/**
 * Where the mesh's TLS joins Apache's: the TLS registry ({@code Lookup} by scheme) that a connection
 * operator is made with, which Apache consults with the route target's scheme when it connects. The
 * registry handed to the operator's constructor is wrapped so that the mesh's own schemes
 * ({@link MeshTlsSchemes}) are answered with the mesh's TLS and every other scheme exactly as
 * before. Every connection manager Apache builds (pooling or basic, from the client builders or the
 * connection manager builders) makes its operator through these constructors; a connection manager
 * with an operator of its own is not covered.
 *
 * <ul>
 *   <li>async: {@code DefaultAsyncClientConnectionOperator(Lookup<TlsStrategy>, SchemePortResolver, DnsResolver)};
 *   <li>classic (5.4+): {@code DefaultHttpClientConnectionOperator(DetachedSocketFactory, SchemePortResolver,
 *       DnsResolver, Lookup<TlsSocketStrategy>)}, which its other constructors call.
 * </ul>
 */
public class TlsOperatorInstrumentation implements TypeInstrumentation {
  private final boolean async;

  TlsOperatorInstrumentation(boolean async) {
    this.async = async;
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named(async
        ? "org.apache.hc.client5.http.impl.nio.DefaultAsyncClientConnectionOperator"
        : "org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    if (async) {
      transformer.applyAdviceToMethod(
          isConstructor().and(takesArguments(3)).and(takesArgument(0, named("org.apache.hc.core5.http.config.Lookup"))),
          TlsOperatorInstrumentation.class.getName() + "$AsyncAdvice");
    } else {
      transformer.applyAdviceToMethod(
          isConstructor().and(takesArguments(4)).and(takesArgument(3, named("org.apache.hc.core5.http.config.Lookup"))),
          TlsOperatorInstrumentation.class.getName() + "$ClassicAdvice");
    }
  }

  @SuppressWarnings("unused")
  public static class AsyncAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(0))
    public static Lookup<TlsStrategy> onEnter(@Advice.Argument(0) Lookup<TlsStrategy> registry) {
      return MeshTlsStrategy.wrap(registry);
    }
  }

  @SuppressWarnings("unused")
  public static class ClassicAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(3))
    public static Lookup<TlsSocketStrategy> onEnter(@Advice.Argument(3) Lookup<TlsSocketStrategy> registry) {
      return MeshTlsSocketStrategy.wrap(registry);
    }
  }
}
