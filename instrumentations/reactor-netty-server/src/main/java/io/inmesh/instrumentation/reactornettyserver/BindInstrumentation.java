package io.inmesh.instrumentation.reactornettyserver;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.netty.channel.Channel;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code ServerTransport.DisposableBind}: what {@code bind()} hands the application as its
 * {@code DisposableServer}. {@code onNext(Channel)} receives the bound server channel (before the
 * application's {@code bindNow()} returns): its local address is registered. {@code dispose()}
 * (also under {@code disposeNow}) deregisters it before the channel closes; a close by any other way
 * deregisters it too ({@link ServerListeners}). Only HTTP servers ({@code HttpServerConfig}) are
 * registered, not a plain {@code TcpServer}.
 */
public class BindInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("reactor.netty.transport.ServerTransport$DisposableBind");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(named("onNext").and(takesArguments(1)), BindInstrumentation.class.getName() + "$BoundAdvice");
    transformer.applyAdviceToMethod(named("dispose").and(takesArguments(0)), BindInstrumentation.class.getName() + "$DisposeAdvice");
  }

  @SuppressWarnings("unused")
  public static class BoundAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.Argument(0) Object channel, @Advice.FieldValue("config") Object config) {
      if (channel instanceof Channel && config instanceof reactor.netty.http.server.HttpServerConfig) {
        ServerListeners.bound((Channel) channel);
      }
    }
  }

  @SuppressWarnings("unused")
  public static class DisposeAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.FieldValue("channel") Channel channel, @Advice.FieldValue("config") Object config) {
      if (channel != null && config instanceof reactor.netty.http.server.HttpServerConfig) {
        ServerListeners.disposed(channel);
      }
    }
  }
}
