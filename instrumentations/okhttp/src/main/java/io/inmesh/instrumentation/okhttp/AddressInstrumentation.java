package io.inmesh.instrumentation.okhttp;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code okhttp3.Address}'s constructor, public API with the same twelve parameters in 4.12 and every
 * 5.x: for an mTLS attempt the address OkHttp makes on the calling thread gets the mesh's TLS
 * ({@link MeshTlsAddress}, which says why this is the hook). Every other address is built unchanged.
 */
public class AddressInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("okhttp3.Address");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        isConstructor()
            .and(takesArguments(12))
            .and(takesArgument(0, String.class))
            .and(takesArgument(1, int.class))
            .and(takesArgument(4, named("javax.net.ssl.SSLSocketFactory")))
            .and(takesArgument(5, named("javax.net.ssl.HostnameVerifier")))
            .and(takesArgument(6, named("okhttp3.CertificatePinner")))
            .and(takesArgument(9, named("java.util.List")))
            .and(takesArgument(10, named("java.util.List"))),
        AddressInstrumentation.class.getName() + "$ConstructorAdvice");
  }

  @SuppressWarnings("unused")
  public static class ConstructorAdvice {
    /** Should this fail, the address stays plain and the attempt is refused before sending (fails closed). */
    @Advice.OnMethodEnter(suppress = Throwable.class)
    @Advice.AssignReturned.ToArguments({
      @Advice.AssignReturned.ToArguments.ToArgument(value = 4, index = 0, typing = Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 5, index = 1, typing = Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 6, index = 2, typing = Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 9, index = 3, typing = Assigner.Typing.DYNAMIC),
      @Advice.AssignReturned.ToArguments.ToArgument(value = 10, index = 4, typing = Assigner.Typing.DYNAMIC)
    })
    public static Object[] onEnter(
        @Advice.Argument(0) String uriHost,
        @Advice.Argument(1) int uriPort,
        @Advice.Argument(4) Object sslSocketFactory,
        @Advice.Argument(5) Object hostnameVerifier,
        @Advice.Argument(6) Object certificatePinner,
        @Advice.Argument(9) Object protocols,
        @Advice.Argument(10) Object connectionSpecs) {
      return MeshTlsAddress.arguments(uriHost, uriPort, sslSocketFactory, hostnameVerifier, certificatePinner, protocols, connectionSpecs);
    }
  }
}
