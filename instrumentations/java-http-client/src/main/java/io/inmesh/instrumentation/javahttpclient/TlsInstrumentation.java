package io.inmesh.instrumentation.javahttpclient;

import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.UpstreamTls;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import jdk.internal.net.http.HttpRequestImpl;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/** The three places of the JDK client {@link TlsOrigination} needs (same on Java 17 and 25). */
public final class TlsInstrumentation {
  private TlsInstrumentation() {}

  /** {@code HttpRequestImpl.secure()}: a mesh mTLS attempt's copy is secure whatever its scheme. */
  public static class Secure implements TypeInstrumentation {
    @Override
    public ElementMatcher<TypeDescription> typeMatcher() {
      return named("jdk.internal.net.http.HttpRequestImpl");
    }

    @Override
    public void transform(TypeTransformer transformer) {
      transformer.applyAdviceToMethod(
          named("secure").and(takesArguments(0)).and(returns(boolean.class)), TlsInstrumentation.class.getName() + "$SecureAdvice");
    }
  }

  @SuppressWarnings("unused")
  public static class SecureAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned
    public static boolean onExit(@Advice.This HttpRequestImpl self, @Advice.Return boolean secure) {
      return secure || TlsOrigination.meshTls(self);
    }
  }

  /** {@code HttpConnection.getConnection(addr, client, request, version)}: where a connection for a request is made. */
  public static class Connect implements TypeInstrumentation {
    @Override
    public ElementMatcher<TypeDescription> typeMatcher() {
      return named("jdk.internal.net.http.HttpConnection");
    }

    @Override
    public void transform(TypeTransformer transformer) {
      transformer.applyAdviceToMethod(
          named("getConnection").and(isStatic()).and(takesArguments(4))
              .and(takesArgument(2, named("jdk.internal.net.http.HttpRequestImpl"))),
          TlsInstrumentation.class.getName() + "$ConnectAdvice");
    }
  }

  @SuppressWarnings("unused")
  public static class ConnectAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static UpstreamTls onEnter(@Advice.Argument(2) HttpRequestImpl request) {
      return TlsOrigination.connecting(request);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(@Advice.Enter UpstreamTls previous) {
      TlsOrigination.connected(previous);
    }
  }

  /** {@code ConnectionPool.getConnection(secure, addr, proxy)}: a pooled TLS connection is reused only for the same mesh TLS. */
  public static class Pool implements TypeInstrumentation {
    @Override
    public ElementMatcher<TypeDescription> typeMatcher() {
      return named("jdk.internal.net.http.ConnectionPool");
    }

    @Override
    public void transform(TypeTransformer transformer) {
      transformer.applyAdviceToMethod(
          named("getConnection").and(takesArguments(3)).and(takesArgument(0, boolean.class)),
          TlsInstrumentation.class.getName() + "$PoolAdvice");
    }
  }

  @SuppressWarnings("unused")
  public static class PoolAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned(typing = net.bytebuddy.implementation.bytecode.assign.Assigner.Typing.DYNAMIC)
    @Advice.AssignReturned.AsScalar(skipOnDefaultValue = false)
    public static Object onExit(
        @Advice.Argument(0) boolean secure,
        @Advice.Return(typing = net.bytebuddy.implementation.bytecode.assign.Assigner.Typing.DYNAMIC) Object connection) {
      return secure ? TlsOrigination.pooled(connection) : connection;
    }
  }

  /** {@code AbstractAsyncSSLConnection.createEngine(context, peerHost, port, parameters)}: the mesh's engine for a mesh connection. */
  public static class Engine implements TypeInstrumentation {
    @Override
    public ElementMatcher<TypeDescription> typeMatcher() {
      return named("jdk.internal.net.http.AbstractAsyncSSLConnection");
    }

    @Override
    public void transform(TypeTransformer transformer) {
      transformer.applyAdviceToMethod(
          named("createEngine").and(isStatic()).and(takesArguments(4)), TlsInstrumentation.class.getName() + "$EngineAdvice");
    }
  }

  @SuppressWarnings("unused")
  public static class EngineAdvice {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static SSLEngine onEnter(
        @Advice.Argument(1) String peerHost, @Advice.Argument(2) int port, @Advice.Argument(3) SSLParameters parameters) {
      return TlsOrigination.engine(peerHost, port, parameters);
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    @Advice.AssignReturned.ToReturned
    public static SSLEngine onExit(@Advice.Enter SSLEngine mesh, @Advice.Return SSLEngine own) {
      return mesh != null ? mesh : own;
    }
  }
}
