package io.inmesh.instrumentation.undertow;

import static net.bytebuddy.matcher.ElementMatchers.isDeclaredBy;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import io.undertow.server.HttpHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.xnio.StreamConnection;

/**
 * Undertow's HTTP/1.1 and HTTP/2 open listeners, where every listener's root handler is set
 * ({@code Undertow.start()}, Spring Boot's Undertow and WildFly alike) and every accepted connection
 * arrives:
 *
 * <ul>
 *   <li>{@code setRootHandler(HttpHandler)} gets the handler wrapped by {@link MeshInboundHandler};
 *   <li>{@code HttpOpenListener.handleEvent(StreamConnection, PooledByteBuffer)} (which the one-argument
 *       form calls; HTTP/2's listener is reached only over TLS or by upgrading an HTTP/1.1 connection) lets
 *       {@link MeshConnections} decide a new connection where PeerAuthentication asks for mTLS: the
 *       mesh's mTLS in Undertow's own TLS, plain text, or closed before Undertow reads it.
 * </ul>
 */
public class OpenListenerInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return namedOneOf("io.undertow.server.protocol.http.HttpOpenListener", "io.undertow.server.protocol.http2.Http2OpenListener");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("setRootHandler").and(takesArguments(1)).and(takesArgument(0, named("io.undertow.server.HttpHandler"))),
        OpenListenerInstrumentation.class.getName() + "$RootHandlerAdvice");
    transformer.applyAdviceToMethod(
        named("handleEvent").and(takesArguments(2)).and(takesArgument(0, named("org.xnio.StreamConnection")))
            .and(isDeclaredBy(named("io.undertow.server.protocol.http.HttpOpenListener"))),
        OpenListenerInstrumentation.class.getName() + "$ConnectionAdvice");
  }

  @SuppressWarnings("unused")
  public static class RootHandlerAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments(@Advice.AssignReturned.ToArguments.ToArgument(0))
    public static HttpHandler onEnter(@Advice.Argument(0) HttpHandler handler) {
      return MeshInboundHandler.wrap(handler);
    }
  }

  @SuppressWarnings("unused")
  public static class ConnectionAdvice {
    /** true: the listener does not take the connection now (closed, or handed back once its first byte decided it). */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static boolean onEnter(
        @Advice.This HttpOpenListener listener, @Advice.Argument(0) StreamConnection connection, @Advice.Argument(1) Object buffer) {
      return MeshConnections.onOpen(listener, connection, buffer);
    }
  }
}
