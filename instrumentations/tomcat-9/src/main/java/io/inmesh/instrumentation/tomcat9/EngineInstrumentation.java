package io.inmesh.instrumentation.tomcat9;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.catalina.core.StandardEngine;

/** Adds the inbound stage ({@link MeshInboundValve}, javax side) to every Tomcat 9 engine as it is built. */
public class EngineInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.apache.catalina.core.StandardEngine");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(isConstructor().and(takesArguments(0)), EngineInstrumentation.class.getName() + "$EngineAdvice");
  }

  @SuppressWarnings("unused")
  public static class EngineAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.This StandardEngine engine) {
      engine.getPipeline().addValve(new MeshInboundValve());
    }
  }
}
