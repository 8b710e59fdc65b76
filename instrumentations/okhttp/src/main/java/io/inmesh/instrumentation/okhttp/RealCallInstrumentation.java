package io.inmesh.instrumentation.okhttp;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import okhttp3.Callback;
import okhttp3.internal.connection.RealCall;

/**
 * {@code RealCall.enqueue(Callback)}: before the first snapshot, an asynchronous call to a possible
 * mesh host is enqueued only once the snapshot is in (or the bounded start-up wait is over), so no
 * dispatcher thread waits for it. OkHttp has no public hook before the dispatcher; this is the one
 * internal class the module touches (its name and signature are the same in 4.x and 5.x).
 */
public class RealCallInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("okhttp3.internal.connection.RealCall");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(
        named("enqueue").and(takesArguments(1)),
        RealCallInstrumentation.class.getName() + "$EnqueueAdvice");
  }

  @SuppressWarnings("unused")
  public static class EnqueueAdvice {
    /** Skips the original enqueue when the call was held back; it is enqueued again later. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    public static boolean onEnter(@Advice.This RealCall call, @Advice.Argument(0) Callback callback) {
      return DeferredEnqueue.deferred(call, callback);
    }
  }
}
