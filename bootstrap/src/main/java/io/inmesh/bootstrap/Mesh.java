package io.inmesh.bootstrap;

import java.net.InetSocketAddress;

/**
 * The frozen seam between adapters and the mesh engine. Advice inlined into JDK and application
 * classes calls these static methods; they never throw (fail open): an error inside inmesh is
 * recorded once and the call proceeds as if inmesh were absent.
 */
public final class Mesh {

  /** The header a java.net.http call to the local responder carries to name its answer. */
  public static final String LOCAL_REPLY_HEADER = "x-inmesh-local-reply";

  private static volatile MeshRuntime runtime;
  private static volatile FailureSink failures = FailureSink.STDERR_ONCE;

  private Mesh() {}

  /** Called once by the engine when it starts. */
  public static void install(MeshRuntime meshRuntime, FailureSink sink) {
    if (sink != null) {
      failures = sink;
    }
    runtime = meshRuntime;
  }

  /** See {@link MeshRuntime#outbound}; null means "leave the call alone". */
  public static OutboundCall outbound(OutboundRequest request) {
    MeshRuntime rt = runtime;
    if (rt == null) {
      return null;
    }
    try {
      return rt.outbound(request);
    } catch (Throwable t) {
      failed("outbound", t);
      return null;
    }
  }

  public static void serverStarted(String library, InetSocketAddress bound) {
    MeshRuntime rt = runtime;
    if (rt == null || bound == null) {
      return;
    }
    try {
      rt.serverStarted(library, bound);
    } catch (Throwable t) {
      failed("server-start", t);
    }
  }

  public static void serverStopped(String library, InetSocketAddress bound) {
    MeshRuntime rt = runtime;
    if (rt == null || bound == null) {
      return;
    }
    try {
      rt.serverStopped(library, bound);
    } catch (Throwable t) {
      failed("server-stop", t);
    }
  }

  /** See {@link MeshRuntime#inbound}; null means "let the request through". */
  public static LocalAnswer inbound(InboundRequest request) {
    MeshRuntime rt = runtime;
    if (rt == null) {
      return null;
    }
    try {
      return rt.inbound(request);
    } catch (Throwable t) {
      failed("inbound", t);
      return null;
    }
  }

  /** Adapters report their own unexpected errors here (then proceed untouched). */
  public static void failed(String where, Throwable t) {
    try {
      failures.failed(where, t);
    } catch (Throwable ignored) {
      // nothing more can be done without risking the application's call
    }
  }

  /** Where inmesh's own errors go: logged once per kind and counted by the engine. */
  public interface FailureSink {
    FailureSink STDERR_ONCE =
        new FailureSink() {
          private volatile boolean logged;

          @Override
          public void failed(String where, Throwable t) {
            if (!logged) {
              logged = true;
              System.err.println("[inmesh] internal error in " + where + " (call proceeds untouched): " + t);
            }
          }
        };

    void failed(String where, Throwable t);
  }
}
