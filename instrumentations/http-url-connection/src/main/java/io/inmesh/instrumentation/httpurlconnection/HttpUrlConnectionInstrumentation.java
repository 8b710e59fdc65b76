package io.inmesh.instrumentation.httpurlconnection;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;

import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URL;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code sun.net.www.protocol.http.HttpURLConnection#getNewHttpClient(URL, Proxy, int[, boolean])}
 * is the protected seam where the JDK's handler obtains a (possibly pooled) connection for a URL; it
 * runs once per connection attempt, after the application set its headers. Swapping the URL
 * argument there for the chosen endpoint re-targets the attempt and nothing else.
 */
public class HttpUrlConnectionInstrumentation
    implements io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("sun.net.www.protocol.http.HttpURLConnection");
  }

  @Override
  public void transform(io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("getNewHttpClient").and(takesArgument(0, URL.class)).and(takesArgument(1, Proxy.class)),
        HttpUrlConnectionInstrumentation.class.getName() + "$ConnectAdvice");
  }

  @SuppressWarnings("unused")
  public static class ConnectAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(
        @Advice.This HttpURLConnection connection,
        @Advice.Argument(value = 0, readOnly = false) URL url,
        @Advice.Argument(1) Proxy proxy) {
      if (proxy != null && proxy.type() != Proxy.Type.DIRECT) {
        return; // the application goes through a proxy: leave it alone
      }
      URL routed = UrlConnectionRouting.route(connection, url);
      if (routed != null) {
        url = routed;
      }
    }
  }
}
