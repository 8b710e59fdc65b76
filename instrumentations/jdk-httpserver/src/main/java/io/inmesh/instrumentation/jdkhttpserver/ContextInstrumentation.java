package io.inmesh.instrumentation.jdkhttpserver;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.Mesh;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.util.List;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Puts the inbound stage ({@link MeshInboundFilter}) first on every context the application
 * creates ({@code ServerImpl.createContext}, which both HTTP and HTTPS servers use).
 */
public class ContextInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("sun.net.httpserver.ServerImpl");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("createContext").and(takesArgument(0, String.class)).and(returns(named("sun.net.httpserver.HttpContextImpl"))),
        ContextInstrumentation.class.getName() + "$CreateContextAdvice");
  }

  @SuppressWarnings("unused")
  public static class CreateContextAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.Return HttpContext context) {
      if (context != null) {
        List<Filter> filters = context.getFilters();
        for (Filter f : filters) {
          if (f instanceof MeshInboundFilter) {
            return;
          }
        }
        filters.add(0, new MeshInboundFilter());
      }
    }
  }

  /** The JDK server's response headers, as the mesh edits them. */
  public static final class ResponseHeaders implements HeaderSink {
    private final Headers headers;

    public ResponseHeaders(Headers headers) {
      this.headers = headers;
    }

    @Override
    public void set(String name, String value) {
      headers.set(name, value);
    }

    @Override
    public void add(String name, String value) {
      headers.add(name, value);
    }

    @Override
    public void remove(String name) {
      headers.remove(name);
    }
  }

  /** Hooks {@code ExchangeImpl.sendResponseHeaders}: the response is committed there. */
  public static class ExchangeInstrumentation implements TypeInstrumentation {
    @Override
    public ElementMatcher<TypeDescription> typeMatcher() {
      return named("sun.net.httpserver.ExchangeImpl");
    }

    @Override
    public void transform(TypeTransformer transformer) {
      transformer.applyAdviceToMethod(
          named("sendResponseHeaders").and(takesArguments(2)),
          ContextInstrumentation.class.getName() + "$SendHeadersAdvice");
    }
  }

  @SuppressWarnings("unused")
  public static class SendHeadersAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.FieldValue("rspHdrs") Headers headers) {
      Mesh.inboundResponse(new ResponseHeaders(headers));
    }
  }
}
