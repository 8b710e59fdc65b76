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
 * {@code HttpServerConfig.HttpServerChannelInitializer.onChannelInit}: Reactor Netty's own
 * {@code ChannelPipelineConfigurer} for every connection an {@code HttpServer} accepts, on the
 * channel's event loop before anything is read. Once it has built the pipeline (HTTP codec, and the
 * application's own TLS if it asked for it), {@link MeshTlsDecoder#install} puts the mesh's
 * PeerAuthentication handler first.
 */
public class ChannelInitInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("reactor.netty.http.server.HttpServerConfig$HttpServerChannelInitializer");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(named("onChannelInit").and(takesArguments(3)), ChannelInitInstrumentation.class.getName() + "$InitAdvice");
  }

  @SuppressWarnings("unused")
  public static class InitAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.Argument(1) Object channel) {
      if (channel instanceof Channel) {
        MeshTlsDecoder.install((Channel) channel);
      }
    }
  }
}
