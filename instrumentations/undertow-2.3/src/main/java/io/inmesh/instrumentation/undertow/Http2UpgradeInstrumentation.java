package io.inmesh.instrumentation.undertow;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import io.undertow.server.HttpHandler;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code Http2UpgradeHandler(HttpHandler next, ...)}: with HTTP/2 enabled, Undertow puts this handler in
 * front of an HTTP listener's root handler, and the streams of a connection upgraded to h2c go
 * straight to {@code next}, never through the listener's root handler again; so {@code next} is
 * wrapped by {@link MeshInboundHandler} here, and the upgrade handler itself is left unwrapped (every
 * request, upgraded or not, then meets the stage once).
 */
public class Http2UpgradeInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("io.undertow.server.protocol.http2.Http2UpgradeHandler");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        isConstructor().and(takesArgument(0, named("io.undertow.server.HttpHandler"))),
        Http2UpgradeInstrumentation.class.getName() + "$ConstructorAdvice");
  }

  @SuppressWarnings("unused")
  public static class ConstructorAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(0))
    public static HttpHandler onEnter(@Advice.Argument(0) HttpHandler next) {
      return MeshInboundHandler.wrap(next);
    }
  }
}
