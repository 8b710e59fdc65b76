package io.inmesh.instrumentation.reactornettyserver;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.util.function.BiFunction;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code HttpServer.handle(BiFunction)}: the application's handler (also what {@code route(..)}
 * and Spring WebFlux's {@code ReactorHttpHandlerAdapter} pass) is wrapped in the inbound stage
 * ({@link MeshInboundHandler}) before Reactor Netty keeps it.
 */
public class HandleInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("reactor.netty.http.server.HttpServer");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(named("handle").and(takesArguments(1)), HandleInstrumentation.class.getName() + "$HandleAdvice");
  }

  @SuppressWarnings("unused")
  public static class HandleAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(value = 0, typing = Assigner.Typing.DYNAMIC))
    public static Object onEnter(@Advice.Argument(0) Object handler) {
      return handler instanceof BiFunction ? MeshInboundHandler.wrap((BiFunction<?, ?, ?>) handler) : handler;
    }
  }
}
