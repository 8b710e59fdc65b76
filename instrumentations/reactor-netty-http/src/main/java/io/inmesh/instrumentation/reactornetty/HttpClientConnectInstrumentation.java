package io.inmesh.instrumentation.reactornetty;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;

/**
 * {@code HttpClientConnect.connect()}: where every request of a Reactor Netty {@code HttpClient}
 * starts (see {@link ReactorNettyHttpInstrumentationModule} for why here). A mesh call is taken over
 * by {@link ReactorMeshCall}, whose attempts come back through this method untouched.
 */
public class HttpClientConnectInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("reactor.netty.http.client.HttpClientConnect");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("connect").and(takesArguments(0)),
        HttpClientConnectInstrumentation.class.getName() + "$ConnectAdvice");
  }

  @SuppressWarnings("unused")
  public static class ConnectAdvice {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static Mono<? extends Connection> onEnter(@Advice.This HttpClient client) {
      return ReactorMeshCall.take(client);
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned
    public static Mono<? extends Connection> onExit(
        @Advice.Enter Mono<? extends Connection> taken, @Advice.Return Mono<? extends Connection> result) {
      return taken != null ? taken : result;
    }
  }
}
