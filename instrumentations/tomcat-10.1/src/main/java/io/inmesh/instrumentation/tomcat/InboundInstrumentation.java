package io.inmesh.instrumentation.tomcat;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.inmesh.bootstrap.HeaderSink;
import io.inmesh.bootstrap.Mesh;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.apache.catalina.core.StandardEngine;

/**
 * Adds the inbound stage ({@link MeshInboundValve}) to every Tomcat engine as it is built, and
 * lets the mesh add its response headers when Tomcat commits a response while the application runs
 * (a flushed or larger-than-buffer response: {@code org.apache.coyote.Response.commit()}, on the
 * thread serving the request); a response still uncommitted when the valve returns gets them there
 * ({@link TomcatInbound#exit}).
 */
public class InboundInstrumentation implements TypeInstrumentation {

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("org.apache.catalina.core.StandardEngine");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(isConstructor().and(takesArguments(0)), InboundInstrumentation.class.getName() + "$EngineAdvice");
  }

  @SuppressWarnings("unused")
  public static class EngineAdvice {
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void onExit(@Advice.This StandardEngine engine) {
      engine.getPipeline().addValve(new MeshInboundValve());
    }
  }

  /** Tomcat's coyote response headers, as the mesh edits them. */
  public static final class ResponseHeaders implements HeaderSink {
    private final org.apache.coyote.Response response;

    public ResponseHeaders(org.apache.coyote.Response response) {
      this.response = response;
    }

    @Override
    public void set(String name, String value) {
      response.setHeader(name, value);
    }

    @Override
    public void add(String name, String value) {
      response.addHeader(name, value);
    }

    @Override
    public void remove(String name) {
      response.getMimeHeaders().removeHeader(name);
    }
  }

  /**
   * Hooks the commit of a coyote response: {@code commit()}, what Tomcat 9.0, 10.1 and 11 call
   * (the older {@code sendHeaders()}, which this hooked before, is no longer called by 9.0.112 or
   * 10.1.48 and is gone in 11). Shared with the tomcat-9 module.
   */
  public static class CommitInstrumentation implements TypeInstrumentation {
    @Override
    public ElementMatcher<TypeDescription> typeMatcher() {
      return named("org.apache.coyote.Response");
    }

    @Override
    public void transform(TypeTransformer transformer) {
      transformer.applyAdviceToMethod(
          named("commit").and(takesArguments(0)), InboundInstrumentation.class.getName() + "$CommitAdvice");
    }
  }

  @SuppressWarnings("unused")
  public static class CommitAdvice {
    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void onEnter(@Advice.This org.apache.coyote.Response response) {
      if (!response.isCommitted()) {
        Mesh.inboundResponse(new ResponseHeaders(response));
      }
    }
  }
}
