package io.inmesh.instrumentation.javahttpclient;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpRequest;
import jdk.internal.net.http.HttpRequestImpl;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code jdk.internal.net.http.HttpRequestImpl} is the client's own copy of a request. An attempt's
 * copy learns its {@link io.inmesh.bootstrap.Attempt} from the {@link AttemptRequest} it is made
 * from; {@code getAddress()} — what the client keys its HTTP/1.1 and HTTP/2 connection pools on
 * and connects to, called several times per exchange — then answers the attempt's endpoint, the
 * same every time, so the URI (Host header, {@code response.uri()}) keeps the logical name.
 *
 * <p>The copies the client makes itself: one for an authentication retry keeps the attempt (the
 * routing decision holds across the library's authentication retries); one for a redirect is a new
 * request, as a sidecar would see it, so it is routed again. Java 17 and 25 both make these copies
 * in the five-argument constructor (Java 17's four-argument one delegates to it).
 *
 * <p>State lives in a virtual field, not in the JDK's own fields.
 */
public class HttpRequestImplInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("jdk.internal.net.http.HttpRequestImpl");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        isConstructor().and(takesArguments(2)).and(takesArgument(0, named("java.net.http.HttpRequest"))),
        HttpRequestImplInstrumentation.class.getName() + "$FromUserRequestAdvice");
    transformer.applyAdviceToMethod(
        isConstructor().and(takesArguments(5)).and(takesArgument(2, named("jdk.internal.net.http.HttpRequestImpl"))),
        HttpRequestImplInstrumentation.class.getName() + "$CopyAdvice");
    transformer.applyAdviceToMethod(
        named("getAddress").and(takesArguments(0)),
        HttpRequestImplInstrumentation.class.getName() + "$AddressAdvice");
  }

  @SuppressWarnings("unused")
  public static class FromUserRequestAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.This HttpRequestImpl self, @Advice.Argument(0) HttpRequest user) {
      RequestAttempts.fromUserRequest(self, user);
    }
  }

  @SuppressWarnings("unused")
  public static class CopyAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(
        @Advice.This HttpRequestImpl self, @Advice.Argument(0) URI uri, @Advice.Argument(2) HttpRequestImpl other) {
      RequestAttempts.copied(self, uri, other);
    }
  }

  @SuppressWarnings("unused")
  public static class AddressAdvice {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static InetSocketAddress onEnter(@Advice.This HttpRequestImpl self, @Advice.FieldValue("proxy") Proxy proxy) {
      return proxy != null ? null : RequestAttempts.address(self);
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned
    public static InetSocketAddress onExit(@Advice.Enter InetSocketAddress chosen, @Advice.Return InetSocketAddress result) {
      return chosen != null ? chosen : result;
    }
  }
}
