package io.inmesh.instrumentation.httpurlconnection;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import sun.net.www.protocol.http.HttpURLConnection;

/**
 * The body stream of a streaming-mode {@code HttpURLConnection} (what Spring's
 * {@code SimpleClientHttpRequestFactory} uses): the bytes the application writes are copied, up to
 * 64 KiB, so that a retry can send them again.
 */
public class StreamingOutputInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("sun.net.www.protocol.http.HttpURLConnection$StreamingOutputStream");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    String prefix = StreamingOutputInstrumentation.class.getName();
    transformer.applyAdviceToMethod(isConstructor(), prefix + "$CreatedAdvice");
    transformer.applyAdviceToMethod(
        named("write").and(takesArguments(3)).and(takesArgument(0, byte[].class)), prefix + "$WriteArrayAdvice");
    transformer.applyAdviceToMethod(named("write").and(takesArguments(1)).and(takesArgument(0, int.class)), prefix + "$WriteByteAdvice");
  }

  @SuppressWarnings("unused")
  public static class CreatedAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.FieldValue("this$0") HttpURLConnection connection) {
      UrlConnectionLifecycle.streamingBody(connection);
    }
  }

  @SuppressWarnings("unused")
  public static class WriteArrayAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(
        @Advice.FieldValue("this$0") HttpURLConnection connection,
        @Advice.Argument(0) byte[] b,
        @Advice.Argument(1) int off,
        @Advice.Argument(2) int len) {
      UrlConnectionLifecycle.streamed(connection, b, off, len);
    }
  }

  @SuppressWarnings("unused")
  public static class WriteByteAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.FieldValue("this$0") HttpURLConnection connection, @Advice.Argument(0) int b) {
      UrlConnectionLifecycle.streamed(connection, new byte[] {(byte) b}, 0, 1);
    }
  }
}
