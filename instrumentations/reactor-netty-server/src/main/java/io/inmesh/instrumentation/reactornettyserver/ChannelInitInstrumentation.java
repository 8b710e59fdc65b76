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
 * channel's event loop before anything is read. Once it has built the pipeline (the HTTP codec),
 * {@link MeshTlsDecoder#install} puts the mesh's PeerAuthentication handler first, unless the
 * application configured TLS of its own for this server ({@code sslProvider}).
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
    public static void onExit(@Advice.Argument(1) Object channel, @Advice.FieldValue("sslProvider") Object applicationTls) {
      // a server the application made TLS itself (secure(..), with or without its redirect of plain
      // HTTP to https) is left alone
      if (channel instanceof Channel && applicationTls == null) {
        MeshTlsDecoder.install((Channel) channel);
      }
    }
  }
}
