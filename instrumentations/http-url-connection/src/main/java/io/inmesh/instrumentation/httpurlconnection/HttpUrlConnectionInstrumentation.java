package io.inmesh.instrumentation.httpurlconnection;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.net.Proxy;
import java.net.URL;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import sun.net.www.http.HttpClient;
import sun.net.www.protocol.http.HttpURLConnection;

/**
 * The JDK's http: connection ({@code sun.net.www.protocol.http.HttpURLConnection}): where each
 * connection attempt obtains its connection ({@code getNewHttpClient}), where a failed connect
 * surfaces ({@code connect()}) and the redirect step of its send loop ({@code followRedirect()}),
 * which the adapter uses to go round again for a retry. The same methods exist on Java 17 and 25.
 */
public class HttpUrlConnectionInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("sun.net.www.protocol.http.HttpURLConnection");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    String prefix = HttpUrlConnectionInstrumentation.class.getName();
    transformer.applyAdviceToMethod(
        named("getNewHttpClient").and(takesArgument(0, URL.class)).and(takesArgument(1, Proxy.class)).and(takesArgument(2, int.class)),
        prefix + "$GetClientAdvice");
    transformer.applyAdviceToMethod(named("connect").and(takesArguments(0)), prefix + "$ConnectAdvice");
    transformer.applyAdviceToMethod(
        named("setNewClient").and(takesArguments(2)).and(takesArgument(0, URL.class)).and(takesArgument(1, boolean.class)),
        prefix + "$SetNewClientAdvice");
    transformer.applyAdviceToMethod(
        named("followRedirect").and(takesArguments(0)).and(returns(boolean.class)), prefix + "$FollowRedirectAdvice");
  }

  @SuppressWarnings("unused")
  public static class GetClientAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments({
      @Advice.AssignReturned.ToArguments.ToArgument(value = 0, index = 0, typing = net.bytebuddy.implementation.bytecode.assign.Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 2, index = 1, typing = net.bytebuddy.implementation.bytecode.assign.Assigner.Typing.DYNAMIC)
    })
    public static Object[] onEnter(
        @Advice.This HttpURLConnection connection,
        @Advice.Argument(0) URL url,
        @Advice.Argument(1) Proxy proxy,
        @Advice.Argument(2) int connectTimeout) {
      return UrlConnectionLifecycle.connecting(connection, url, proxy, connectTimeout);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    @Advice.AssignReturned.ToThrown
    @Advice.AssignReturned.AsScalar(skipOnDefaultValue = false) // null: no exception
    public static Throwable onExit(
        @Advice.This HttpURLConnection connection, @Advice.Return HttpClient client, @Advice.Thrown Throwable thrown) {
      try {
        // an mTLS attempt never reuses a connection verified for other identities
        return UrlConnectionLifecycle.connected(connection, client, thrown != null ? thrown : UrlConnectionTls.obtained(client));
      } finally {
        UrlConnectionTls.done();
      }
    }
  }

  /**
   * The library's "try once more" after a request could not be written makes its new connection here,
   * to the connection's own (logical) URL; for a meshed call the adapter decides instead
   * ({@link UrlConnectionLifecycle#newClient}): the next attempt's URL, or no connection at all.
   */
  @SuppressWarnings("unused")
  public static class SetNewClientAdvice {
    @Advice.OnMethodEnter(skipOn = Advice.OnDefaultValue.class, suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments({
      @Advice.AssignReturned.ToArguments.ToArgument(value = 0, index = 0, typing = net.bytebuddy.implementation.bytecode.assign.Assigner.Typing.DYNAMIC)
    })
    public static Object[] onEnter(@Advice.This HttpURLConnection connection, @Advice.Argument(0) URL url) {
      return UrlConnectionLifecycle.newClient(connection, url);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    @Advice.AssignReturned.ToThrown
    @Advice.AssignReturned.AsScalar(skipOnDefaultValue = false) // null: no exception
    public static Throwable onExit(
        @Advice.This HttpURLConnection connection,
        @Advice.Enter Object[] enter,
        @Advice.FieldValue("http") HttpClient client,
        @Advice.Thrown Throwable thrown) {
      return UrlConnectionLifecycle.newClientDone(connection, enter == null, client, thrown);
    }
  }

  @SuppressWarnings("unused")
  public static class ConnectAdvice {
    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    @Advice.AssignReturned.ToThrown
    @Advice.AssignReturned.AsScalar(skipOnDefaultValue = false) // null suppresses the exception
    public static Throwable onExit(@Advice.This HttpURLConnection connection, @Advice.Thrown Throwable thrown) {
      return UrlConnectionLifecycle.connectFailed(connection, thrown);
    }
  }

  @SuppressWarnings("unused")
  public static class FollowRedirectAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned
    public static boolean onExit(@Advice.This HttpURLConnection connection, @Advice.Return boolean followed) {
      return UrlConnectionLifecycle.followRedirect(connection, followed);
    }
  }
}
