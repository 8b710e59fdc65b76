package io.inmesh.instrumentation.httpurlconnection;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import sun.net.www.MessageHeader;
import sun.net.www.http.HttpClient;
import sun.net.www.http.PosterOutputStream;

/**
 * The connection under an {@code HttpURLConnection} ({@code sun.net.www.http.HttpClient}): where
 * the request head is written ({@code writeRequests(head, poster)}) and where the response head is
 * read ({@code parseHTTP}: three arguments on Java 17, two on Java 25, the response headers first),
 * where the response body is done with ({@code finished()}, or {@code closeServer()}) — the end of a
 * delivered attempt, and where the route's connection lifetimes close a connection instead of
 * keeping it alive.
 */
public class NetHttpClientInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("sun.net.www.http.HttpClient");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    String prefix = NetHttpClientInstrumentation.class.getName();
    transformer.applyAdviceToMethod(
        named("writeRequests").and(takesArguments(2)).and(takesArgument(0, named("sun.net.www.MessageHeader")))
            .and(takesArgument(1, named("sun.net.www.http.PosterOutputStream"))),
        prefix + "$WriteAdvice");
    transformer.applyAdviceToMethod(named("finished").and(takesArguments(0)), prefix + "$FinishedAdvice");
    transformer.applyAdviceToMethod(named("closeServer").and(takesArguments(0)), prefix + "$CloseServerAdvice");
    transformer.applyAdviceToMethod(
        named("openServer").and(takesArguments(2)).and(takesArgument(0, String.class)).and(takesArgument(1, int.class)),
        prefix + "$OpenServerAdvice");
    transformer.applyAdviceToMethod(
        named("parseHTTP").and(takesArgument(0, named("sun.net.www.MessageHeader"))).and(returns(boolean.class)),
        prefix + "$ParseAdvice");
  }

  @SuppressWarnings("unused")
  public static class WriteAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(
        @Advice.This HttpClient client, @Advice.Argument(0) MessageHeader head, @Advice.Argument(1) PosterOutputStream poster) {
      UrlConnectionLifecycle.writing(client, head, poster);
    }
  }

  /** Mesh mTLS: the socket just connected becomes TLS before anything is written ({@link UrlConnectionTls}). */
  @SuppressWarnings("unused")
  public static class OpenServerAdvice {
    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    @Advice.AssignReturned.ToThrown
    @Advice.AssignReturned.AsScalar(skipOnDefaultValue = false)
    public static Throwable onExit(
        @Advice.This HttpClient client,
        @Advice.FieldValue("url") java.net.URL url,
        @Advice.Argument(0) String host,
        @Advice.Argument(1) int port,
        @Advice.Thrown Throwable thrown) {
      return thrown != null ? thrown : UrlConnectionTls.opened(client, url, host, port);
    }
  }

  /** The response body is done with (read to its end, closed, or none): the connection goes back to the keep-alive cache or is closed. */
  @SuppressWarnings("unused")
  public static class FinishedAdvice {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static boolean onEnter(@Advice.This HttpClient client, @Advice.FieldValue("reuse") boolean reuse) {
      return UrlConnectionLifecycle.finished(client, reuse);
    }
  }

  @SuppressWarnings("unused")
  public static class CloseServerAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.This HttpClient client) {
      UrlConnectionLifecycle.closed(client);
    }
  }

  @SuppressWarnings("unused")
  public static class ParseAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.This HttpClient client) {
      UrlConnectionLifecycle.reading(client);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    @Advice.AssignReturned.ToThrown
    @Advice.AssignReturned.AsScalar(skipOnDefaultValue = false) // null suppresses the exception
    public static Throwable onExit(
        @Advice.This HttpClient client, @Advice.Argument(0) MessageHeader responses, @Advice.Thrown Throwable thrown) {
      return UrlConnectionLifecycle.read(client, responses, thrown);
    }
  }
}
