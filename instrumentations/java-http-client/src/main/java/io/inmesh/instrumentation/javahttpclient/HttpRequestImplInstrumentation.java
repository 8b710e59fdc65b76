package io.inmesh.instrumentation.javahttpclient;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.CarriedCall;
import io.inmesh.bootstrap.Mesh;
import io.inmesh.bootstrap.OutboundCall;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.http.HttpRequest;
import jdk.internal.net.http.HttpRequestImpl;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code jdk.internal.net.http.HttpRequestImpl} is the client's own copy of a user request, made
 * once per send (and again for a redirect or an authentication retry). Its constructor is where the
 * per-call decision is taken and remembered on the request; {@code getAddress()} is what the
 * client keys its connection pool on and connects to, so answering it with the chosen endpoint
 * re-targets the call without touching the URI.
 *
 * <p>The decision rides in the request's {@code authority} field (see {@link CarriedCall}): that
 * field is only read for CONNECT and URI-less requests, never for the calls inmesh routes, and
 * writing it from the constructor's own code is allowed even though it is final. A side table keyed
 * by the request would cost a weak-map put and get per call.
 */
public class HttpRequestImplInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("jdk.internal.net.http.HttpRequestImpl");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    // HttpRequestImpl(HttpRequest userRequest, ProxySelector ps): the copy made by sendAsync
    transformer.applyAdviceToMethod(
        isConstructor().and(takesArguments(2)).and(takesArgument(0, named("java.net.http.HttpRequest"))),
        HttpRequestImplInstrumentation.class.getName() + "$DecideAdvice");
    // HttpRequestImpl(URI, String, HttpRequestImpl other, boolean, Optional): redirects, auth retries
    transformer.applyAdviceToMethod(
        isConstructor().and(takesArguments(5)).and(takesArgument(2, named("jdk.internal.net.http.HttpRequestImpl"))),
        HttpRequestImplInstrumentation.class.getName() + "$DecideAdvice");
    transformer.applyAdviceToMethod(
        named("getAddress").and(takesArguments(0)),
        HttpRequestImplInstrumentation.class.getName() + "$AddressAdvice");
  }

  @SuppressWarnings("unused")
  public static class DecideAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(
        @Advice.This HttpRequest request,
        @Advice.FieldValue(value = "authority", readOnly = false) InetSocketAddress authority) {
      if (authority != null) {
        return; // a CONNECT or URI-less request: not ours
      }
      OutboundCall call = Mesh.outbound(new JdkRequestView(request));
      if (call != null) {
        authority = new CarriedCall(call);
      }
    }
  }

  @SuppressWarnings("unused")
  public static class AddressAdvice {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static InetSocketAddress onEnter(
        @Advice.This HttpRequestImpl request,
        @Advice.FieldValue("proxy") Proxy proxy,
        @Advice.FieldValue("authority") InetSocketAddress authority) {
      if (proxy != null || !(authority instanceof CarriedCall)) {
        return null; // not routed by inmesh, or the application chose a proxy: leave it alone
      }
      OutboundCall call = ((CarriedCall) authority).call();
      InetSocketAddress address = call.nextAddress();
      if (address != null && call.isLocalReply()) {
        request.setSystemHeader(Mesh.LOCAL_REPLY_HEADER, call.localReplyToken());
      }
      return address;
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(
        @Advice.Enter InetSocketAddress chosen,
        @Advice.Return(readOnly = false) InetSocketAddress result) {
      if (chosen != null) {
        result = chosen;
      }
    }
  }
}
